import Testing

@Suite struct PlaceholderRunnerTests { @Test func builds() {} }
