curl --request GET \
--url https://api.tryhamsa.com/v1/jobs \
--header 'Authorization: <api-key>'
