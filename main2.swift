import Foundation
let pid = CommandLine.arguments[1]
let fdDirectory = "/proc/\(pid)/fd"
let links = (try? FileManager.default.contentsOfDirectory(atPath: fdDirectory)) ?? []
for link in links {
    do { let t = try FileManager.default.destinationOfSymbolicLink(atPath: fdDirectory + "/" + link); print(link, t) } catch { print(link, "ERR", error) }
}
