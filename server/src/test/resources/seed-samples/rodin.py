import requests
# Constants
ENDPOINT = "https://hyperhuman.deemos.com/api/v2/status"
API_KEY = "your api key" # Replace with your actual API key
SUBSCRIPTION_KEY = "your-subscription-key" # Replace with your actual subscription key
# Prepare the headers
headers = {
'accept': 'application/json',
'Content-Type': 'application/json',
'Authorization': f'Bearer {API_KEY}',
}
# Prepare the JSON payload
data = {
"subscription_key": SUBSCRIPTION_KEY
}
# Make the POST request
response = requests.post(ENDPOINT, headers=headers, json=data)
# Parse and return the JSON response
print(response.json())
