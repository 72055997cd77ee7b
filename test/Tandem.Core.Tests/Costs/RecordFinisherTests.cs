using System.Text;
using Microsoft.ML.Tokenizers;
using Tandem.Configuration;
using Tandem.Costs;
using Tandem.Records;
using Tandem.Runtime;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Costs;

/// <summary>
/// What a record gets when its request ends: estimated tokens when the upstream reported none, the cost at the
/// deployment's price (only when an upstream answered), content as the route captures it, the end user hashed.
/// </summary>
public sealed class RecordFinisherTests
{
    private const string SaltVariable = "TANDEM_TEST_END_USER_SALT_19";

    private static string Yaml(string storage = "{ hash_end_users: true }") => $$"""
        auth: { disabled: true }
        providers: [ { name: p, base_url: "http://127.0.0.1:9/v1" } ]
        deployments:
          - { name: est, provider: p, model: private-model, usage: estimate, tokenizer: o200k, pricing: { input_per_mtok: 2, output_per_mtok: 8 } }
          - { name: rep, provider: p, model: private-model, pricing: { input_per_mtok: 1, cached_input_per_mtok: 0.5, output_per_mtok: 4 } }
          - { name: free, provider: p, model: private-model }
        routes:
          - { name: full, deployment: rep, capture: full }
          - { name: red, deployment: rep, capture: redacted }
          - { name: off, deployment: rep }
        storage: {{storage}}
        """;

    private static readonly GatewaySnapshot Snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Yaml()), null);

    private static ApiRequest Request(string content = "Hello there", string? user = null)
    {
        var body = Encoding.UTF8.GetBytes("{\"model\":\"full\",\"messages\":[{\"role\":\"user\",\"content\":" + System.Text.Json.JsonSerializer.Serialize(content) + "}]"
            + (user is null ? "" : ",\"user\":\"" + user + "\"") + "}");
        return ApiRequest.Parse(body, ApiOperation.ChatCompletions, out _)!;
    }

    private static RequestRecord Record(int status = 200, string? user = null)
    {
        var record = new RequestRecord { Id = "r1", Operation = "chat", EndUser = user };
        record.Attempts.Add(new AttemptRecord("x", status, status == 200 ? null : "http_" + status, 10));
        return record;
    }

    private static ResponseFacts Answer(string text, TokenUsage? usage = null) => new() { Content = new StringBuilder(text), Usage = usage };

    [Fact]
    public void Finish_UsageReported_PricesTheRecordedTokens_CachedAtTheCachedPrice()
    {
        var record = Record();
        record.PromptTokens = 1000;
        record.CachedTokens = 400;
        record.CompletionTokens = 100;

        new RecordFinisher().Finish(record, Answer("x", new TokenUsage { PromptTokens = 1000 }), Request(), Snapshot.Routes["off"], Snapshot.Deployments["rep"], Snapshot);

        // (600 × 1 + 400 × 0.5 + 100 × 4) / 1M = 1,200 / 1M.
        Assert.Equal((0.0012m, false, 1000, 400), (record.Cost, record.TokensEstimated, record.PromptTokens, record.CachedTokens));
    }

    [Fact]
    public void Finish_NoUsage_EstimatesWithTheTokenizer_AndPricesTheEstimate()
    {
        var o200k = TiktokenTokenizer.CreateForEncoding("o200k_base");
        var record = Record();
        record.CachedTokens = 7;
        record.ReasoningTokens = 3;

        new RecordFinisher().Finish(record, Answer("The parcel left the depot."), Request(), Snapshot.Routes["off"], Snapshot.Deployments["est"], Snapshot);

        // Chat framing: 3 per message + "user" (1) + "Hello there" (2), and 3 priming the reply = 9 prompt tokens;
        // the answer's 6 tokens ("The", " parcel", " left", " the", " depot", ".") as the vocabulary itself counts them.
        Assert.Equal((1, 2, 6), (o200k.CountTokens("user"), o200k.CountTokens("Hello there"), o200k.CountTokens("The parcel left the depot.")));
        Assert.Equal((9, 6, 0, 0, true), (record.PromptTokens, record.CompletionTokens, record.CachedTokens, record.ReasoningTokens, record.TokensEstimated));
        // (9 × 2 + 6 × 8) / 1M = 66 / 1M.
        Assert.Equal(0.000066m, record.Cost);
    }

    [Fact]
    public void Finish_NoUsageAndNoAnswerText_EstimatesThePromptOnly()
    {
        var record = Record();

        new RecordFinisher().Finish(record, new ResponseFacts(), Request(), Snapshot.Routes["off"], Snapshot.Deployments["est"], Snapshot);

        Assert.Equal((9, 0, true), (record.PromptTokens, record.CompletionTokens, record.TokensEstimated));
    }

    [Theory]
    [InlineData(502)] // no upstream answered: nothing was billed
    [InlineData(429)]
    public void Finish_NoUpstreamAnswered_NoEstimateAndNoCost(int status)
    {
        var record = Record(status);

        new RecordFinisher().Finish(record, new ResponseFacts(), Request(), Snapshot.Routes["off"], Snapshot.Deployments["est"], Snapshot);

        Assert.Equal((0, 0m, false), (record.PromptTokens, record.Cost, record.TokensEstimated));
    }

    [Fact]
    public void Finish_NoDeploymentOrNoRequest_NoEstimateAndNoCost()
    {
        var withoutDeployment = Record();
        var withoutRequest = Record();

        new RecordFinisher().Finish(withoutDeployment, new ResponseFacts(), Request(), null, null, Snapshot);
        new RecordFinisher().Finish(withoutRequest, new ResponseFacts(), null, null, Snapshot.Deployments["est"], Snapshot);

        Assert.Equal((0, 0m, false), (withoutDeployment.PromptTokens, withoutDeployment.Cost, withoutDeployment.TokensEstimated));
        Assert.Equal((0, 0m, false), (withoutRequest.PromptTokens, withoutRequest.Cost, withoutRequest.TokensEstimated));
    }

    [Fact]
    public void Finish_Unpriced_CostsNothing()
    {
        var record = Record();
        record.PromptTokens = 1000;

        new RecordFinisher().Finish(record, Answer("x", new TokenUsage { PromptTokens = 1000 }), Request(), null, Snapshot.Deployments["free"], Snapshot);

        Assert.Equal(0m, record.Cost);
    }

    [Fact]
    public void Finish_CaptureFull_KeepsPromptAndAnswer_Redacted_MasksThem_Off_KeepsNothing()
    {
        const string prompt = "Mail me at ada@example.com";
        var full = Record();
        var redacted = Record();
        var off = Record();

        new RecordFinisher().Finish(full, Answer("Write to help@shop.example"), Request(prompt), Snapshot.Routes["full"], Snapshot.Deployments["rep"], Snapshot);
        new RecordFinisher().Finish(redacted, Answer("Write to help@shop.example"), Request(prompt), Snapshot.Routes["red"], Snapshot.Deployments["rep"], Snapshot);
        new RecordFinisher().Finish(off, Answer("Write to help@shop.example"), Request(prompt), Snapshot.Routes["off"], Snapshot.Deployments["rep"], Snapshot);

        Assert.Equal("""[{"role":"user","content":"Mail me at ada@example.com"}]""", full.PromptContent);
        Assert.Equal("Write to help@shop.example", full.ResponseContent);
        Assert.Equal("""[{"role":"user","content":"Mail me at [email]"}]""", redacted.PromptContent);
        Assert.Equal("Write to [email]", redacted.ResponseContent);
        Assert.Equal(((string?)null, (string?)null), (off.PromptContent, off.ResponseContent));
    }

    [Fact]
    public void Finish_ReleasesThePromptCopy()
    {
        var request = Request();
        Assert.False(request.PromptJson.IsEmpty);

        new RecordFinisher().Finish(Record(), new ResponseFacts(), request, Snapshot.Routes["full"], Snapshot.Deployments["rep"], Snapshot);

        Assert.True(request.PromptJson.IsEmpty);
    }

    [Fact]
    public void Capture_CutsAtTheLimitWithAMarker_AfterMasking()
    {
        var route = Snapshot.Routes["full"].Config;
        var exactly = new string('a', RecordFinisher.MaxCapturedChars);
        var over = exactly + "b";

        Assert.Equal(exactly, RecordFinisher.Capture(exactly, route));
        Assert.Equal(exactly + "…[truncated]", RecordFinisher.Capture(over, route));
        Assert.Null(RecordFinisher.Capture("text", null));
        Assert.Null(RecordFinisher.Capture("text", Snapshot.Routes["off"].Config));
        Assert.Null(RecordFinisher.Capture(null, route));
        Assert.Equal("call [email]", RecordFinisher.Capture("call ada@example.com", Snapshot.Routes["red"].Config));
    }

    [Fact]
    public void Finish_EndUser_HashedWithTheDefaultSalt()
    {
        var record = Record(user: "bob");

        new RecordFinisher().Finish(record, new ResponseFacts(), Request(user: "bob"), null, null, Snapshot);

        // python3 -c "import hmac,hashlib;print(hmac.new(b'tandem-end-user',b'bob',hashlib.sha256).hexdigest()[:32])"
        Assert.Equal("a4635f88c1d1d581d7e566e1b1c3ef96", record.EndUser);
    }

    [Fact]
    public void Finish_EndUser_HashedWithTheConfiguredSalt_OrKeptWhenHashingIsOff()
    {
        Environment.SetEnvironmentVariable(SaltVariable, "pepper");
        var salted = GatewaySnapshot.Build(ConfigLoader.Parse(Yaml($"{{ hash_end_users: true, end_user_salt_env: {SaltVariable} }}")), null);
        var plain = GatewaySnapshot.Build(ConfigLoader.Parse(Yaml("{ }")), null);
        var a = Record(user: "bob");
        var b = Record(user: "bob");
        var empty = Record(user: "");

        new RecordFinisher().Finish(a, new ResponseFacts(), null, null, null, salted);
        new RecordFinisher().Finish(b, new ResponseFacts(), null, null, null, plain);
        new RecordFinisher().Finish(empty, new ResponseFacts(), null, null, null, salted);

        // python3 -c "import hmac,hashlib;print(hmac.new(b'pepper',b'bob',hashlib.sha256).hexdigest()[:32])"
        Assert.Equal("5e77fd7015b5fc631c91afce8c9040b5", a.EndUser);
        Assert.Equal("bob", b.EndUser);
        Assert.Equal("", empty.EndUser);
    }

    [Fact]
    public void PriceOf_FollowsTheSnapshotItIsGiven()
    {
        var finisher = new RecordFinisher();
        var changed = GatewaySnapshot.Build(ConfigLoader.Parse(Yaml().Replace("input_per_mtok: 1,", "input_per_mtok: 3,", StringComparison.Ordinal)), null);

        Assert.Equal(1m, finisher.PriceOf(Snapshot, "rep").InputPerMtok);
        Assert.Equal(3m, finisher.PriceOf(changed, "rep").InputPerMtok); // a reload's prices, not the cached ones
        Assert.Equal(1m, finisher.PriceOf(Snapshot, "rep").InputPerMtok);
        Assert.Same(DeploymentPrice.Unpriced, finisher.PriceOf(Snapshot, "nope"));
    }

    [Fact]
    public void WantsContent_ForEstimatingDeploymentsAndCapturingRoutes()
    {
        Assert.True(RecordFinisher.WantsContent(null, Snapshot.Deployments["est"]));
        Assert.True(RecordFinisher.WantsContent(Snapshot.Routes["red"], Snapshot.Deployments["rep"]));
        Assert.True(RecordFinisher.WantsContent(Snapshot.Routes["full"], null));
        Assert.False(RecordFinisher.WantsContent(Snapshot.Routes["off"], Snapshot.Deployments["rep"]));
        Assert.False(RecordFinisher.WantsContent(null, null));
    }

    [Fact]
    public void HashEndUser_IsHmacSha256InHex_FirstSixteenBytes()
    {
        Assert.Equal("a4635f88c1d1d581d7e566e1b1c3ef96", RecordFinisher.HashEndUser(Encoding.UTF8.GetBytes("tandem-end-user"), "bob"));
        Assert.Throws<ArgumentNullException>("key", () => RecordFinisher.HashEndUser(null!, "bob"));
        Assert.Throws<ArgumentNullException>("user", () => RecordFinisher.HashEndUser([1], null!));
    }
}
