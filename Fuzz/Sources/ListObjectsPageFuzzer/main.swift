import Glibc
import LibFuzzerDriver

// SwiftPM links an executable's main to this file's top-level code, so libFuzzer's own main is
// not used: this one hands the command line to libFuzzer's driver.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzListObjectsPage))
