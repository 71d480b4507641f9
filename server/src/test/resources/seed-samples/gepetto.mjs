var myHeaders = new Headers();
myHeaders.append("Authorization", "Bearer {{API_KEY}}");
myHeaders.append("Content-Type", "application/json");
var requestOptions = {
method: 'GET',
headers: myHeaders
};
const response = await fetch("https://europe-west1-gepettoai.cloudfunctions.net/v1/job/{id}", requestOptions)
const body = await reponse.json();
console.log(body)
