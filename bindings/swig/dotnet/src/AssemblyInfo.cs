using System.Runtime.Versioning;

// libssx is a Linux library (sockets, per-thread credentials); the package ships linux-x64 natives.
[assembly: SupportedOSPlatform("linux")]
