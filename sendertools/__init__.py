"""What developers run around the sender: the CLI and its verbs, samples, the check, a local
AWS, pool editing and packaging. Never shipped in the Lambda bundle."""
