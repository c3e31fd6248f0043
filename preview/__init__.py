"""The local preview server: every email, every locale, every sample, rendered live by the
Lambda's own compose stage (not shipped in the Lambda bundle)."""
