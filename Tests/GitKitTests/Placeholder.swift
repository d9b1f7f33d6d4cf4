import Testing

@Suite struct PlaceholderGitKitTests { @Test func builds() {} }
