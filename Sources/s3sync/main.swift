print("s3sync")
