$curl https://api.hume.ai/v0/batch/jobs/job_id \
> -H "X-Hume-Api-Key: <apiKey>"
