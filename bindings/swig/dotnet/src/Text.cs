using System;

namespace Ssx;

/// <summary>Strings for the C ABI (marshalled as NUL-terminated UTF-8).</summary>
internal static class Text
{
    /// <summary>
    /// Refuses a string with a NUL inside: C would read it cut short ("a.corp\0.evil" as "a.corp"),
    /// so ssx would check another name or open another file than the caller named.
    /// </summary>
    internal static string? NoNul(string? value, string parameter)
    {
        if (value != null && value.Contains('\0'))
        {
            throw new ArgumentException($"the string contains a NUL character, which C would read as its end: '{value.Replace("\0", "\\0")}'", parameter);
        }
        return value;
    }
}
