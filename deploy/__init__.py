"""Packaging and deployment of the three Zappa stages (api, dashboard, jobs) to AWS Lambda."""
