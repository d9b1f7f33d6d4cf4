import Runner

extension JobStatus {
    var color: Terminal.Color {
        switch self {
        case .passed, .reused: return .green
        case .failed: return .red
        case .running: return .blue
        case .skipped, .cancelled, .queued: return .gray
        }
    }

    var symbol: String {
        switch self {
        case .passed: return "✔"
        case .reused: return "↺"
        case .failed: return "✘"
        case .running: return "▶"
        case .skipped: return "–"
        case .cancelled: return "■"
        case .queued: return "·"
        }
    }
}

extension PipelineStatus {
    var color: Terminal.Color {
        switch self {
        case .passed: return .green
        case .failed, .configError: return .red
        case .running: return .blue
        case .queued, .cancelled, .none: return .gray
        }
    }
}

enum Duration {
    static func format(milliseconds: Int) -> String {
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        let seconds = Double(milliseconds) / 1000
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        return "\(Int(seconds) / 60)m\(String(format: "%02d", Int(seconds) % 60))s"
    }
}
