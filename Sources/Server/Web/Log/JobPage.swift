import Foundation

/// `/repos/REPO/commits/REV/jobs/JOB`: a job's facts and a window of its log (templates/web/job.mustache).
/// Mustache sees stored properties only: everything the template shows is stored.
struct JobPage: ChromedPage {
    struct StepLink: Sendable {
        let number: Int
        let name: String
        let href: String
        let failed: Bool
    }

    /// The lines shown, as HTML made by LogLines (escaped there), and where they are in the file.
    struct LogView: Sendable {
        let html: String
        let start: Int64
        let end: Int64
        let size: Int64
        let firstLine: Int
        /// "true" while the job runs and the view reaches the log's end: the page's script then
        /// appends what the stream sends (`data-running`).
        let running: String
        let events: String
        let before: String
        let earlierHref: String?
        let laterHref: String?
        let sizeText: String

        /// No lines shown: there is no log yet, or a search shows its hits instead (`size`).
        init(empty href: String, running: Bool, size fileSize: Int64? = nil) {
            html = ""
            (start, end, size, firstLine) = (0, 0, 0, 1)
            self.running = running ? "true" : "false"
            events = href + "/log/events"
            before = href + "/log/before"
            earlierHref = nil
            laterHref = nil
            sizeText = fileSize.map(ByteCountText.format) ?? "no log"
        }

        init(file: LogFileWindow, window: Range<Int64>, href: String, running: Bool, failedStep: Int?) {
            firstLine = file.lineNumber(at: window.lowerBound)
            html = LogLines.html(file.read(window), firstLine: firstLine, failedStep: failedStep).html
            start = window.lowerBound
            end = window.upperBound
            size = file.size
            // A running job's unfinished last line is not shown: the view reaches the end when
            // only that line is after it.
            let atEnd = window.upperBound == file.size
                || (running && file.lastLineEnd(in: window.upperBound..<file.size) == window.upperBound)
            self.running = running && atEnd ? "true" : "false"
            events = href + "/log/events"
            before = href + "/log/before"
            earlierHref = window.lowerBound > 0 ? "\(href)?from=\(file.before(window.lowerBound).lowerBound)" : nil
            laterHref = atEnd ? nil : "\(href)?from=\(window.upperBound)"
            sizeText = ByteCountText.format(file.size)
        }
    }

    struct SearchView: Sendable {
        let query: String
        let hits: [LogSearch.Hit]
        let truncated: Bool
        let none: Bool
        let count: Int
        /// "1 line holds", "12 lines hold".
        let countText: String

        init(query: String, hits: [LogSearch.Hit], truncated: Bool) {
            self.query = query
            self.hits = hits
            self.truncated = truncated
            none = hits.isEmpty
            count = hits.count
            countText = hits.count == 1 ? "1 line holds" : "\(hits.count) lines hold"
        }
    }

    let repository: String
    let repositoryHref: String
    let commit: String
    let short: String
    let commitHref: String
    let job: String
    let href: String
    let label: StatusLabel
    let duration: String?
    let node: String?
    let started: String?
    let stage: String?
    let reason: String?
    let exitCode: String?
    let reusedFrom: String?
    let reusedHref: String?
    let log: LogView
    let hasLog: Bool
    /// Why no log is shown, when none is.
    let noLog: String?
    let steps: [StepLink]
    let hasSteps: Bool
    let failed: StepLink?
    let query: String
    let search: SearchView?
    let jsonHref: String
    let textHref: String
    var chrome: WebChrome?
}
