"""Packaging and deployment of the four Zappa stages (api, dashboard, jobs, train) to AWS Lambda."""
