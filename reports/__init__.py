"""Reports for the business owner: HTML and Markdown rendering of a retraining case."""
