"""The Python scoring stage: features in, churn / CLV / segment models out."""
