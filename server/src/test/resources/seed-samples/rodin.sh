export RODIN_API_KEY="your api key"
curl -X 'POST' \
'https://hyperhuman.deemos.com/api/v2/status' \
-H 'accept: application/json' \
-H 'Content-Type: application/json' \
-d '{
"subscription_key": "your-subscription-key"
}'
unset RODIN_API_KEY
