"""Amazon Cognito CustomEmailSender: decrypt, render and send every Cognito email."""
