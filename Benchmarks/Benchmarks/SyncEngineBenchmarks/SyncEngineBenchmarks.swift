import Benchmark
import BenchmarkSupport
import Foundation
import S3Client
import SyncEngine

/// The planner's merge and the state database: the per-file work of a push before and after the
/// bytes move.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.metrics = [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident]
    Benchmark.defaultConfiguration.maxDuration = .seconds(10)
    Benchmark.defaultConfiguration.maxIterations = 20

    let treeSize = 100_000
    let planner = Planner(location: TreeFixture.location, endpoint: TreeFixture.endpoint, options: SyncOptions())

    // A no-op push of 100k files: the sorted walk, the 100k-key listing and the index, all equal.
    Benchmark(
        "Planner merge 100k local x 100k remote, index (no-op push)",
        configuration: .init(metrics: Benchmark.defaultConfiguration.metrics + [Rate.entriesPerSecond]),
        closure: { (benchmark: Benchmark, fixture: PlannerFixture) in
            let start = ContinuousClock.now
            let summary = try await planner.plan(
                local: LocalWalker(root: fixture.tree.root), remote: ListedObjects(objects: fixture.tree.objects),
                store: fixture.store, emit: { blackHole($0) })
            precondition(summary.skips == treeSize && summary.uploads == 0, "unexpected plan \(summary)")
            Rate.record(benchmark, Rate.entriesPerSecond, units: Double(treeSize), since: start)
        },
        setup: {
            let tree = try TreeFixture.make(
                root: ScratchDirectory.path("planner-index") + "/tree", files: treeSize, directories: 100)
            let store = try JobStore(path: ScratchDirectory.path("planner-index") + "/state.db")
            try await store.recordUploads(tree.indexRecords())
            return PlannerFixture(tree: tree, store: store)
        },
        teardown: { ScratchDirectory.remove("planner-index") }
    )

    // The same merge without an index (a first s3sync run over a bucket another tool filled):
    // decisions by size and LastModified.
    Benchmark(
        "Planner merge 100k local x 100k remote, no index",
        configuration: .init(metrics: Benchmark.defaultConfiguration.metrics + [Rate.entriesPerSecond]),
        closure: { (benchmark: Benchmark, fixture: PlannerFixture) in
            let start = ContinuousClock.now
            let summary = try await planner.plan(
                local: LocalWalker(root: fixture.tree.root), remote: ListedObjects(objects: fixture.tree.objects),
                store: nil, emit: { blackHole($0) })
            precondition(summary.skips == treeSize, "unexpected plan \(summary)")
            Rate.record(benchmark, Rate.entriesPerSecond, units: Double(treeSize), since: start)
        },
        setup: {
            let tree = try TreeFixture.make(
                root: ScratchDirectory.path("planner-plain") + "/tree", files: treeSize, directories: 100)
            return PlannerFixture(tree: tree, store: nil)
        },
        teardown: { ScratchDirectory.remove("planner-plain") }
    )

    // The walk alone, to tell the file system's share of the merge.
    Benchmark(
        "LocalWalker 100k files",
        configuration: .init(metrics: Benchmark.defaultConfiguration.metrics + [Rate.entriesPerSecond]),
        closure: { (benchmark: Benchmark, root: String) in
            let start = ContinuousClock.now
            var count = 0
            for entry in try LocalWalker(root: root) {
                if case .file = entry { count += 1 }
            }
            precondition(count == treeSize)
            Rate.record(benchmark, Rate.entriesPerSecond, units: Double(treeSize), since: start)
        },
        setup: {
            try TreeFixture.make(root: ScratchDirectory.path("walker") + "/tree", files: treeSize, directories: 100)
                .root
        },
        teardown: { ScratchDirectory.remove("walker") }
    )

    // Planning records upload tasks in transactions of 1000 (SyncRunner+Planning).
    Benchmark(
        "JobStore insertTasks 10k (1000 per transaction)",
        configuration: .init(metrics: Benchmark.defaultConfiguration.metrics + [Rate.tasksPerSecond]),
        closure: { (benchmark: Benchmark, fixture: StoreFixture) in
            let start = ContinuousClock.now
            for batch in 0..<10 {
                let tasks = (0..<1000).map { index in
                    let path = "dir-\(index % 20)/batch-\(batch)-file-\(index).bin"
                    return TaskRecord(
                        jobID: fixture.jobID, kind: .upload, path: path, key: "tree/" + path,
                        identity: FileIdentity(
                            size: 32768, mtimeNanoseconds: 1_750_000_000_000_000_000,
                            ctimeNanoseconds: 1_750_000_000_000_000_000, inode: UInt64(index), device: 1),
                        reason: "new")
                }
                try await fixture.store.insertTasks(tasks)
            }
            Rate.record(benchmark, Rate.tasksPerSecond, units: 10_000, since: start)
        },
        setup: { try await StoreFixture.make(ScratchDirectory.path("tasks")) },
        teardown: { ScratchDirectory.remove("tasks") }
    )

    // Each finished multipart part is committed on its own, before the next is counted.
    Benchmark(
        "JobStore recordPart 1000 (one transaction each)",
        configuration: .init(metrics: Benchmark.defaultConfiguration.metrics + [Rate.partsPerSecond]),
        closure: { (benchmark: Benchmark, fixture: StoreFixture) in
            let upload = try await fixture.store.insertMultipartUpload(
                MultipartUploadRecord(
                    jobID: fixture.jobID, endpoint: TreeFixture.endpoint, bucket: "bench-bucket",
                    key: "tree/big-\(UInt64.random(in: 0...UInt64.max)).bin",
                    uploadID: "upload-\(UInt64.random(in: 0...UInt64.max))", path: "big.bin",
                    identity: FileIdentity(
                        size: 8 << 30, mtimeNanoseconds: 1, ctimeNanoseconds: 1, inode: 1, device: 1),
                    partSize: 8 << 20,
                    checksumAlgorithm: "crc32c", createdAt: 0))
            guard let uploadRowID = upload.id else { fatalError("no row id") }
            benchmark.startMeasurement()
            let start = ContinuousClock.now
            for number in 1...1000 {
                try await fixture.store.recordPart(
                    PartRecord(
                        uploadRowID: uploadRowID, partNumber: number, size: 8 << 20,
                        eTag: "0123456789abcdef0123456789abcdef", checksumAlgorithm: "crc32c", checksum: "yZRlqg=="))
            }
            Rate.record(benchmark, Rate.partsPerSecond, units: 1000, since: start)
            benchmark.stopMeasurement()
        },
        setup: { try await StoreFixture.make(ScratchDirectory.path("parts")) },
        teardown: { ScratchDirectory.remove("parts") }
    )

    // Finished small files are committed 256 at a time: index records and task states
    // (CompletionRecorder).
    Benchmark(
        "JobStore completion batches 10k files (256 per batch)",
        configuration: .init(metrics: Benchmark.defaultConfiguration.metrics + [Rate.filesPerSecond]),
        closure: { (benchmark: Benchmark, fixture: StoreFixture) in
            let run = UInt64.random(in: 0...UInt64.max)
            let start = ContinuousClock.now
            var offset = 0
            while offset < fixture.tasks.count {
                let tasks = Array(fixture.tasks[offset..<min(offset + 256, fixture.tasks.count)]).map { task in
                    var task = task
                    task.state = .done
                    task.attempts = 1
                    return task
                }
                let records = tasks.map { task in
                    IndexRecord(
                        endpoint: TreeFixture.endpoint, bucket: "bench-bucket", key: "\(task.key).\(run)",
                        identity: FileIdentity(
                            size: task.size, mtimeNanoseconds: task.mtimeNanoseconds,
                            ctimeNanoseconds: task.mtimeNanoseconds, inode: UInt64(task.inode),
                            device: 1),
                        eTag: "0123456789abcdef0123456789abcdef", md5: "ASNFZ4mrze8BI0VniavN7w==", partSize: 8 << 20,
                        multipartMD5: nil, uploadedAt: 1_750_000_000)
                }
                try await fixture.store.recordUploads(records)
                try await fixture.store.updateTasks(tasks)
                offset += 256
            }
            Rate.record(benchmark, Rate.filesPerSecond, units: Double(fixture.tasks.count), since: start)
        },
        setup: { try await StoreFixture.make(ScratchDirectory.path("completions"), pendingTasks: 10_240) },
        teardown: { ScratchDirectory.remove("completions") }
    )
}

/// A tree with its listing, and the state database holding its index (or none).
struct PlannerFixture: Sendable {
    let tree: TreeFixture
    let store: JobStore?
}
