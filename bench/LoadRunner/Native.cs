using System.Runtime.InteropServices;

namespace Tandem.LoadRunner;

/// <summary>The two libc calls the open-loop dispatcher needs for sub-millisecond sleeps.</summary>
internal static partial class Native
{
    private const int PrSetTimerSlack = 29;

    /// <summary>
    /// Sets this thread's timer slack to 1 ns (Linux default 50 µs), so that <see cref="SleepMicroseconds"/> wakes
    /// close to the requested time. Returns false off Linux or when refused.
    /// </summary>
    public static bool TrySetTimerSlack()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return prctl(PrSetTimerSlack, 1, 0, 0, 0) == 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Sleeps about <paramref name="microseconds"/> µs (usleep on Linux, Thread.Sleep elsewhere).</summary>
    public static void SleepMicroseconds(long microseconds)
    {
        if (microseconds <= 0)
        {
            return;
        }

        if (OperatingSystem.IsLinux())
        {
            _ = usleep((uint)Math.Min(microseconds, 1_000_000));
        }
        else
        {
            Thread.Sleep(TimeSpan.FromTicks(microseconds * 10));
        }
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int usleep(uint usec);

    [LibraryImport("libc", SetLastError = false)]
    private static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
