import Dispatch
import Synchronization

/// Wakes the tasks waiting on a key (a job's end, new work) when it is signalled. Waiters read
/// the key's generation before they look at the state they wait on, and wait from it: a signal
/// that came in between ends their wait at once instead of being lost.
final class Signals<Key: Hashable & Sendable>: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var generations: [Key: UInt64] = [:]
        var waiters: [Key: [Waiter]] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    func generation(_ key: Key) -> UInt64 {
        state.withLock { $0.generations[key] ?? 0 }
    }

    func signal(_ key: Key) {
        let woken = state.withLock { state -> [Waiter] in
            state.generations[key, default: 0] &+= 1
            return state.waiters.removeValue(forKey: key) ?? []
        }
        for waiter in woken { waiter.continuation.resume(returning: true) }
    }

    /// Forgets a key no one waits on any more (a job that ended). A late waiter finds the
    /// generation changed and looks again at what it waits for.
    func forget(_ key: Key) {
        state.withLock { state in
            if state.waiters[key] == nil { state.generations[key] = nil }
        }
    }

    /// True when `key` was signalled after `generation`, false when `seconds` passed first.
    @discardableResult
    func wait(_ key: Key, since generation: UInt64, seconds: Double) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let id = state.withLock { state -> UInt64? in
                guard (state.generations[key] ?? 0) == generation else { return nil }
                state.nextID &+= 1
                state.waiters[key, default: []].append(Waiter(id: state.nextID, continuation: continuation))
                return state.nextID
            }
            guard let id else {
                continuation.resume(returning: true)
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + max(0, seconds)) { [self] in timeOut(key, id) }
        }
    }

    private func timeOut(_ key: Key, _ id: UInt64) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters[key]?.firstIndex(where: { $0.id == id }) else { return nil }
            let waiter = state.waiters[key]!.remove(at: index)
            if state.waiters[key]!.isEmpty { state.waiters[key] = nil }
            return waiter
        }
        waiter?.continuation.resume(returning: false)
    }
}
