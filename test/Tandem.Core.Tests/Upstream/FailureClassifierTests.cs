using Tandem.Providers;
using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Upstream;

/// <summary>The one table of what a try's outcome means for retries and for the breaker (FailureClassifier's remarks).</summary>
public sealed class FailureClassifierTests
{
    private static UpstreamCall Call(int status, string? error = null, ProviderErrorKind kind = ProviderErrorKind.Unspecified) =>
        new(new UpstreamEndpoint("http://a.invalid/v1"), CancellationToken.None) { Status = status, Error = error, ProviderError = new ProviderError(null, kind) };

    [Theory]
    // status, error, provider kind → retry?, counts against the breaker?
    [InlineData(0, "connect", ProviderErrorKind.Unspecified, true, true)]
    [InlineData(0, "timeout", ProviderErrorKind.Unspecified, true, true)]
    [InlineData(200, "interrupted", ProviderErrorKind.Unspecified, true, true)]
    [InlineData(408, null, ProviderErrorKind.Unspecified, true, true)]
    [InlineData(429, null, ProviderErrorKind.Unspecified, true, false)] // rate limiting is not ill health
    [InlineData(409, null, ProviderErrorKind.Unspecified, true, false)]
    [InlineData(500, null, ProviderErrorKind.Unspecified, true, true)]
    [InlineData(503, null, ProviderErrorKind.Unspecified, true, true)]
    [InlineData(529, null, ProviderErrorKind.Overloaded, true, true)]
    [InlineData(400, null, ProviderErrorKind.Overloaded, true, true)] // the provider says overloaded whatever the status
    [InlineData(499, null, ProviderErrorKind.Unspecified, false, false)]
    [InlineData(400, null, ProviderErrorKind.ContextLength, false, false)]
    [InlineData(401, null, ProviderErrorKind.Unspecified, false, false)]
    [InlineData(404, null, ProviderErrorKind.Unspecified, false, false)]
    [InlineData(422, null, ProviderErrorKind.Unspecified, false, false)]
    [InlineData(200, null, ProviderErrorKind.Unspecified, false, false)]
    public void RetryAndBreaker_PerOutcome(int status, string? error, ProviderErrorKind kind, bool transient, bool breaker)
    {
        using var call = Call(status, error, kind);

        Assert.Equal((transient, breaker), (FailureClassifier.IsTransient(call), FailureClassifier.CountsAgainstBreaker(call)));
    }

    [Theory]
    [InlineData("timeout", FailureKind.Timeout, 504, "upstream_timeout")]
    [InlineData("interrupted", FailureKind.Connect, 502, "upstream_interrupted")]
    [InlineData("connect", FailureKind.Connect, 502, "upstream_unreachable")]
    [InlineData("dns", FailureKind.Connect, 502, "upstream_unreachable")]
    public void Classify_NoAnswer_ByWhatWentWrong(string error, FailureKind kind, int status, string code)
    {
        var fake = new FakeUpstream();
        var snapshot = fake.Build("""
            auth: { disabled: true }
            providers: [ { name: p, base_url: "http://a.invalid/v1", timeouts: { first_byte: 1500ms, total: 30s } } ]
            deployments: [ { name: d, provider: p, model: m } ]
            """);
        using var call = Call(0, error);

        var failure = FailureClassifier.Classify(call, "d", snapshot.Providers["p"], snapshot.Secrets)!;

        Assert.Equal((kind, status, code), (failure.Kind, failure.Status, failure.Code));
        Assert.True(failure.MayFallBack);
        if (error == "timeout")
        {
            Assert.Equal("Deployment 'd' did not answer within its timeouts (first byte 1.5 s, total 30 s).", failure.Message);
        }
        else if (error == "connect")
        {
            Assert.Equal("Deployment 'd' could not be reached (connect).", failure.Message);
        }
    }

    [Fact]
    public void Classify_Success_IsNoFailure()
    {
        var snapshot = new FakeUpstream().Build("""
            auth: { disabled: true }
            providers: [ { name: p, base_url: "http://a.invalid/v1" } ]
            deployments: [ { name: d, provider: p, model: m } ]
            """);
        using var call = Call(204);

        Assert.Null(FailureClassifier.Classify(call, "d", snapshot.Providers["p"], snapshot.Secrets));
    }

    [Theory]
    [InlineData(FailureKind.ServerError, 503, "upstream_error", "503")]
    [InlineData(FailureKind.Rejected, 401, "upstream_rejected", "401")]
    [InlineData(FailureKind.Timeout, 408, "upstream_timeout", "upstream_timeout")]
    [InlineData(FailureKind.RateLimited, 429, "rate_limit_exceeded", "rate_limit_exceeded")]
    [InlineData(FailureKind.ServerError, 0, "upstream_error", "upstream_error")]
    public void Failure_Short_IsTheStatusForHttpFailures(FailureKind kind, int upstreamStatus, string code, string expected) =>
        Assert.Equal(expected, new UpstreamFailure("d", kind, 502, code, "m") { UpstreamStatus = upstreamStatus }.Short);

    [Theory]
    [InlineData(429, "rate_limit_exceeded")]
    [InlineData(504, "timeout")]
    [InlineData(400, "invalid_request_error")]
    [InlineData(499, "invalid_request_error")]
    [InlineData(502, "upstream_error")]
    [InlineData(503, "upstream_error")]
    public void Failure_ErrorType_ByStatus(int status, string type) =>
        Assert.Equal(type, new UpstreamFailure("d", FailureKind.ServerError, status, "c", "m").ErrorType);

    [Theory]
    [InlineData(FailureKind.ClientError, false)]
    [InlineData(FailureKind.Untranslatable, false)]
    [InlineData(FailureKind.ContextLength, true)]
    [InlineData(FailureKind.Rejected, true)]
    [InlineData(FailureKind.Capacity, true)]
    public void Failure_MayFallBack_UnlessTheRequestItselfIsAtFault(FailureKind kind, bool mayFallBack) =>
        Assert.Equal(mayFallBack, new UpstreamFailure("d", kind, 400, "c", "m").MayFallBack);
}
