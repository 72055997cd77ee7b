using System.Net;
using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Upstream;

/// <summary>
/// Retry-After values an upstream may send that no wait can honour: huge, negative, fractional. They are clamped or
/// ignored; they never throw (an upstream's header must not turn a rate limit into a server error).
/// </summary>
public sealed class RetryAfterBoundsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    // Half of TimeSpan.MaxValue, the bound every reading is clamped to: in whole seconds, and in milliseconds.
    private static readonly TimeSpan MaxSeconds = TimeSpan.FromSeconds((long)TimeSpan.MaxValue.TotalSeconds / 2);
    private static readonly TimeSpan MaxMilliseconds = TimeSpan.FromMilliseconds(TimeSpan.MaxValue.TotalMilliseconds / 2);

    [Theory]
    [InlineData("9223372036854775807")] // long.MaxValue seconds
    [InlineData("99999999999999999999")] // beyond a long: read as a number of seconds all the same
    [InlineData("99999999999999999999.5")]
    public void Parse_HugeSeconds_AreClampedNotThrown(string value) =>
        Assert.Equal(MaxSeconds, RetryAfter.Parse(value, Now));

    [Theory]
    [InlineData("1e300", 0.0, true)] // not a delta-seconds form at all: ignored
    [InlineData("-0", 0.0, true)] // signed: not delta-seconds
    [InlineData("0.25", 0.25, false)]
    public void Parse_OtherNumbers(string value, double seconds, bool ignored) =>
        Assert.Equal(ignored ? null : TimeSpan.FromSeconds(seconds), RetryAfter.Parse(value, Now));

    [Theory]
    [InlineData("1e300")]
    [InlineData("99999999999999999999")]
    public void Read_HugeRetryAfterMs_IsClamped(string value)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation("retry-after-ms", value);

        Assert.Equal(MaxMilliseconds, RetryAfter.Read(response.Headers, Now));
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("0")]
    public void Read_RetryAfterMsZeroOrNegative_IsZero(string value)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation("retry-after-ms", value);
        response.Headers.TryAddWithoutValidation("Retry-After", "7");

        Assert.Equal(TimeSpan.Zero, RetryAfter.Read(response.Headers, Now));
    }

    [Fact]
    public void Read_RetryAfterMsUnreadable_FallsBackToRetryAfter()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation("retry-after-ms", "soon");
        response.Headers.TryAddWithoutValidation("Retry-After", "7");

        Assert.Equal(TimeSpan.FromSeconds(7), RetryAfter.Read(response.Headers, Now));
    }

    [Fact]
    public async Task RateLimited_WithAnAbsurdRetryAfter_IsARateLimitFailure_NotAnException()
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Json(429, """{"error":{"message":"slow down"}}""", ("Retry-After", "99999999999999999999")));
        var deployment = fake.Build("""
            auth: { disabled: true }
            providers: [ { name: p, base_url: "http://a.invalid/v1" } ]
            deployments: [ { name: d, provider: p, model: m, resilience: { retries: 2, max_retry_after: 2s } } ]
            """).Deployments["d"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        // Far beyond max_retry_after: not waited out, not retried, passed on (clamped).
        Assert.Equal((FailureKind.RateLimited, 429, MaxSeconds), (result.Failure!.Kind, result.Failure.Status, result.Failure.RetryAfter));
        Assert.Equal(1, fake.Calls("p"));
    }
}
