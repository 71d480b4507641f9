curl --location 'https://europe-west1-gepettoai.cloudfunctions.net/v1/job/{id}' \
--header 'Authorization: Bearer {{API_KEY}}' \
--header 'Content-Type: application/json'
