import requests
import json
url = "https://europe-west1-gepettoai.cloudfunctions.net/v1/job/{id}"
payload = {}
headers = {
'Authorization': 'Bearer {{API_KEY}}',
'Content-Type': 'application/json'
}
response = requests.request("GET", url, headers=headers, data=payload)
print(response.text)
