public enum S3TestSupportPlaceholder {}
