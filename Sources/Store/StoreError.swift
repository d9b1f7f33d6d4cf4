/// A failure of gitci's own storage (the index, the notes), with a message a user can act on.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
