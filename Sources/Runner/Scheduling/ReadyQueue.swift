/// The jobs that may start, by position in the plan: the earliest-planned ready job starts first,
/// whatever order the jobs became ready in. A binary min-heap, so each push and pop costs the
/// logarithm of the jobs waiting, never a scan of the plan.
struct ReadyQueue {
    private var heap: [Int] = []

    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ position: Int) {
        heap.append(position)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Int? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left] < heap[smallest] { smallest = left }
            if right < heap.count, heap[right] < heap[smallest] { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
