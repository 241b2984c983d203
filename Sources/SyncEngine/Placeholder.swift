public enum SyncEnginePlaceholder {}
