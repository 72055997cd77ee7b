using System.Globalization;

namespace Tandem.Routing;

/// <summary>
/// A daily window of local time in a time zone, as a rule's <c>when: { time: "22:00-07:00", tz: Europe/Berlin }</c>:
/// the start is inside, the end is not, and a window whose end is earlier than its start crosses midnight.
/// </summary>
/// <remarks>
/// The instant is converted to the zone's local time with <see cref="TimeZoneInfo"/>, so daylight saving time moves
/// the window with the clocks on the wall: "22:00-07:00" in Europe/Berlin is 21:00-06:00 UTC in winter and
/// 20:00-05:00 UTC in summer. A local time the clocks skip (02:30 on the spring-forward night) is never seen; one
/// they repeat is seen twice.
/// </remarks>
public sealed class TimeWindow
{
    private readonly int _start;
    private readonly int _end;

    private TimeWindow(int start, int end, TimeZoneInfo zone)
    {
        _start = start;
        _end = end;
        Zone = zone;
    }

    /// <summary>The time zone the window is read in.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>Parses <c>HH:MM-HH:MM</c> (24-hour clock, start and end different) in the zone with IANA id <paramref name="zone"/> (null: UTC).</summary>
    /// <returns>The window, or null with <paramref name="error"/> set (a message that names the wrong part).</returns>
    public static TimeWindow? TryParse(string? time, string? zone, out string? error, out bool zoneError)
    {
        zoneError = false;
        var parts = (time ?? "").Split('-');
        if (parts.Length != 2 || ParseMinute(parts[0]) is not int start || ParseMinute(parts[1]) is not int end)
        {
            error = $"'{time}' is not a window HH:MM-HH:MM on the 24-hour clock, e.g. 22:00-07:00";
            return null;
        }

        if (start == end)
        {
            error = $"'{time}' starts and ends at the same time; a window needs two different times";
            return null;
        }

        var tz = TimeZoneInfo.Utc;
        if (zone is not null)
        {
            try
            {
                tz = TimeZoneInfo.FindSystemTimeZoneById(zone);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
            {
                error = $"unknown time zone '{zone}' (expected an IANA id such as Europe/Berlin or UTC)";
                zoneError = true;
                return null;
            }
        }

        error = null;
        return new TimeWindow(start, end, tz);
    }

    /// <summary>Whether <paramref name="instant"/> falls inside the window, read in <see cref="Zone"/>.</summary>
    public bool Contains(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, Zone);
        var minute = (local.Hour * 60) + local.Minute;
        return _start < _end ? minute >= _start && minute < _end : minute >= _start || minute < _end;
    }

    private static int? ParseMinute(string s) =>
        s.Length == 5 && s[2] == ':'
        && int.TryParse(s.AsSpan(0, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var h) && h < 24
        && int.TryParse(s.AsSpan(3, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m < 60
            ? (h * 60) + m
            : null;
}
