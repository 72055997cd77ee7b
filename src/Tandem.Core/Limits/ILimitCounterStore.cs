namespace Tandem.Limits;

/// <summary>One counter to charge: its id, the amount, the cap it must stay within, and when it may be forgotten.</summary>
/// <param name="Counter">The counter's id (limit and window).</param>
/// <param name="Amount">What to add (a delta when settling; may be negative).</param>
/// <param name="Cap">The most the counter may hold after a take.</param>
/// <param name="ExpiresAtMs">Unix ms after which the counter is no longer read (its window has ended, plus a day for late settlements).</param>
public readonly record struct LimitCharge(string Counter, long Amount, long Cap, long ExpiresAtMs);

/// <summary>
/// Counters shared by every gateway instance. A take is atomic across instances: every counter is checked and charged
/// together, or none is, so that concurrent requests can never pass a cap between a check and an increment.
/// </summary>
public interface ILimitCounterStore
{
    /// <summary>
    /// Adds each charge's amount to its counter if every counter stays within its cap; otherwise changes nothing.
    /// Returns the index of the first charge that would pass its cap (-1 when all were charged), and each counter's
    /// value after the take (when admitted).
    /// </summary>
    ValueTask<LimitTakeResult> TakeAsync(LimitCharge[] charges, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds each charge's amount (a correction, may be negative) to its counter without a cap: the settlement of a
    /// reservation with the real usage. Returns each counter's value after (0 for a counter that no longer exists).
    /// </summary>
    ValueTask<long[]> AdjustAsync(LimitCharge[] adjustments, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of <see cref="ILimitCounterStore.TakeAsync"/>.</summary>
/// <param name="Refused">Index of the first charge that would pass its cap; -1 when every charge was taken.</param>
/// <param name="Used">Each counter's value after the take (all zero when refused).</param>
public readonly record struct LimitTakeResult(int Refused, long[] Used)
{
    /// <summary>Whether every charge was taken.</summary>
    public bool Admitted => Refused < 0;
}
