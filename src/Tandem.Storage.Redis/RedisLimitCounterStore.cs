using StackExchange.Redis;
using Tandem.Limits;

namespace Tandem.Storage.Redis;

/// <summary>
/// Budget and rate-limit counters in Redis (<c>limits.store: redis</c>). One Lua script checks every counter of a
/// request and, only when all have room, increments them and sets their expiry: Redis runs a script alone, so the
/// check and the increment are one atomic step for every gateway instance. Counters are plain integer keys
/// <c>tandem:{limits}:ID</c> (one hash slot, so the multi-key script also runs on a cluster) that expire a day after
/// their window ends.
/// </summary>
public sealed class RedisLimitCounterStore : ILimitCounterStore, IAsyncDisposable
{
    // KEYS: the counters. ARGV: amount, cap, expires-at (Unix ms) per counter.
    // Returns { -1, used1, used2, … } when taken, { index } (0-based) of the first counter that would pass its cap.
    private const string TakeScript = """
        local n = #KEYS
        for i = 1, n do
          local used = tonumber(redis.call('GET', KEYS[i]) or '0')
          if used + tonumber(ARGV[3 * i - 2]) > tonumber(ARGV[3 * i - 1]) then
            return { i - 1 }
          end
        end
        local out = { -1 }
        for i = 1, n do
          out[i + 1] = redis.call('INCRBY', KEYS[i], ARGV[3 * i - 2])
          redis.call('PEXPIREAT', KEYS[i], ARGV[3 * i])
        end
        return out
        """;

    // A settlement: add each delta to a counter that still exists (an expired window is not brought back).
    private const string AdjustScript = """
        local out = {}
        for i = 1, #KEYS do
          if redis.call('EXISTS', KEYS[i]) == 1 then
            out[i] = redis.call('INCRBY', KEYS[i], ARGV[i])
          else
            out[i] = 0
          end
        end
        return out
        """;

    private const string Prefix = "tandem:{limits}:";

    private readonly ConnectionMultiplexer _redis;

    private RedisLimitCounterStore(ConnectionMultiplexer redis)
    {
        _redis = redis;
    }

    /// <summary>
    /// Connects to <paramref name="connectionString"/> (StackExchange.Redis syntax, e.g. <c>127.0.0.1:6379</c>). Does not
    /// fail when Redis is down: calls then fail fast (no backlog), and the enforcer applies <c>on_store_failure</c>.
    /// </summary>
    public static RedisLimitCounterStore Connect(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        if (!connectionString.Contains("connectTimeout", StringComparison.OrdinalIgnoreCase))
        {
            options.ConnectTimeout = 2000;
        }

        if (!connectionString.Contains("asyncTimeout", StringComparison.OrdinalIgnoreCase))
        {
            options.AsyncTimeout = 2000;
        }

        return new RedisLimitCounterStore(ConnectionMultiplexer.Connect(options));
    }

    /// <inheritdoc />
    public async ValueTask<LimitTakeResult> TakeAsync(LimitCharge[] charges, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(charges);
        var keys = new RedisKey[charges.Length];
        var values = new RedisValue[charges.Length * 3];
        for (var i = 0; i < charges.Length; i++)
        {
            keys[i] = Prefix + charges[i].Counter;
            values[3 * i] = charges[i].Amount;
            values[(3 * i) + 1] = charges[i].Cap;
            values[(3 * i) + 2] = charges[i].ExpiresAtMs;
        }

        var result = (RedisResult[])(await _redis.GetDatabase().ScriptEvaluateAsync(TakeScript, keys, values).ConfigureAwait(false))!;
        var first = (long)result[0];
        var used = new long[charges.Length];
        if (first >= 0)
        {
            return new LimitTakeResult((int)first, used);
        }

        for (var i = 0; i < charges.Length; i++)
        {
            used[i] = (long)result[i + 1];
        }

        return new LimitTakeResult(-1, used);
    }

    /// <inheritdoc />
    public async ValueTask<long[]> AdjustAsync(LimitCharge[] adjustments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adjustments);
        var keys = new RedisKey[adjustments.Length];
        var values = new RedisValue[adjustments.Length];
        for (var i = 0; i < adjustments.Length; i++)
        {
            keys[i] = Prefix + adjustments[i].Counter;
            values[i] = adjustments[i].Amount;
        }

        var result = (RedisResult[])(await _redis.GetDatabase().ScriptEvaluateAsync(AdjustScript, keys, values).ConfigureAwait(false))!;
        var used = new long[adjustments.Length];
        for (var i = 0; i < adjustments.Length; i++)
        {
            used[i] = (long)result[i];
        }

        return used;
    }

    /// <summary>A counter's value (tests, diagnostics); 0 when it does not exist.</summary>
    public async Task<long> ReadAsync(string counter)
    {
        var value = await _redis.GetDatabase().StringGetAsync(Prefix + counter).ConfigureAwait(false);
        return value.IsNull ? 0 : (long)value;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _redis.DisposeAsync().ConfigureAwait(false);
}
