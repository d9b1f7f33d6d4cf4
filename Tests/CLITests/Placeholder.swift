import Testing

@Suite struct PlaceholderCLITests { @Test func builds() {} }
