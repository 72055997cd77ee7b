using Tandem.Core.Tests.Upstream;
using Tandem.Providers.Gemini;
using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Providers.Gemini;

/// <summary>Google's error details reach the one failure classifier: its body's retry delay, and a refused key.</summary>
public sealed class GeminiErrorSeamTests
{
    // Shapes of Google's documented error bodies (google.rpc.Status with RetryInfo / ErrorInfo details).
    private const string RateLimited = """
        {"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED",
          "details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},
                     {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"12.5s"}]}}
        """;

    private const string BadKey = """
        {"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
          "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}
        """;

    private const string Config = """
        auth: { disabled: true }
        providers:
          - { name: g, type: gemini, base_url: "https://generativelanguage.googleapis.com/v1beta" }
        deployments:
          - { name: flash, provider: g, model: gemini-2.5-flash, resilience: { retries: 0 } }
        routes:
          - { name: r, deployment: flash }
        """;

    [Fact]
    public void ReadError_TakesTheRetryDelayFromTheBody_AndCallsABadKeyRejected()
    {
        Assert.Equal(new TimeSpan(0, 0, 0, 12, 500), GeminiWire.ReadError(429, System.Text.Encoding.UTF8.GetBytes(RateLimited)).RetryAfter);
        Assert.Equal(Tandem.Providers.ProviderErrorKind.Rejected, GeminiWire.ReadError(400, System.Text.Encoding.UTF8.GetBytes(BadKey)).Kind);
    }

    [Fact]
    public async Task RateLimit_RetryAfterComesFromTheBody_WhenNoHeaderSaysIt()
    {
        var fake = new FakeUpstream();
        fake.Script("g", _ => FakeUpstream.Json(429, RateLimited));
        var deployment = fake.Build(Config).Deployments["flash"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal((FailureKind.RateLimited, new TimeSpan(0, 0, 0, 12, 500)), (result.Failure!.Kind, result.Failure.RetryAfter));
    }

    [Fact]
    public async Task BadKey_IsTandemsProblem_502WithoutTheMessage_AndMayFallBack()
    {
        var fake = new FakeUpstream();
        fake.Script("g", _ => FakeUpstream.Json(400, BadKey));
        var deployment = fake.Build(Config).Deployments["flash"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal((FailureKind.Rejected, 502, "upstream_rejected", true), (result.Failure!.Kind, result.Failure.Status, result.Failure.Code, result.Failure.MayFallBack));
        Assert.Equal("Deployment 'flash' failed with HTTP 400", result.Failure.Message);
    }
}
