using System.Threading.RateLimiting;

namespace Tandem.Upstream;

/// <summary>A provider concurrency slot, taken without allocation on the fast path (a free slot) and queued otherwise.</summary>
internal readonly struct RateLimitLeaseHolder : IDisposable
{
    private RateLimitLeaseHolder(RateLimitLease lease) => Lease = lease;

    public RateLimitLease? Lease { get; }

    public bool Acquired => Lease?.IsAcquired ?? false;

    public static async ValueTask<RateLimitLeaseHolder> AcquireAsync(RateLimiter limiter, CancellationToken cancellationToken)
    {
        var lease = limiter.AttemptAcquire(1);
        if (lease.IsAcquired)
        {
            return new RateLimitLeaseHolder(lease);
        }

        // Only when the provider is at its limit: wait in its bounded queue.
        lease.Dispose();
        return new RateLimitLeaseHolder(await limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false));
    }

    public void Dispose() => Lease?.Dispose();
}
