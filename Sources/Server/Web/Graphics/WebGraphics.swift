/// The pages' drawings, in one place between the page models and the SVG code.
enum WebGraphics {
    struct SparkPoint {
        let status: String
        let title: String
        let href: String?
    }

    static func sparkline(_ points: [SparkPoint]) -> String {
        ""
    }
}

extension WebGraphics {
    struct Bar {
        let durationMs: Int
        let status: String
        let title: String
        let href: String?
    }

    static func durationBars(_ bars: [Bar]) -> String {
        ""
    }
}

extension WebGraphics {
    struct Node {
        let name: String
        let stage: String
        let status: String
        let needs: [String]
        let caption: String
        let href: String?
    }

    static func pipelineGraph(stages: [String], nodes: [Node]) -> String {
        ""
    }
}

extension WebGraphics {
    static func badge(status: String) -> String {
        ""
    }
}
