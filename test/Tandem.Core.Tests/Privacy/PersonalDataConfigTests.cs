using System.Text;
using System.Text.Json;
using Tandem.Configuration;
using Tandem.Costs;
using Tandem.Privacy;
using Tandem.Records;
using Tandem.Routing;
using Tandem.Runtime;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Privacy;

/// <summary>
/// One vocabulary per route, from configuration to both uses: a route's <c>patterns</c> and its rules'
/// <c>when.patterns</c> are the custom kinds its <c>pii</c> rules route by and its <c>capture: redacted</c> masks.
/// </summary>
public sealed class PersonalDataConfigTests
{
    private const string Base = """
        auth: { disabled: true }
        providers:
          - { name: cloud, base_url: "http://127.0.0.1:1/v1" }
          - { name: onprem, base_url: "http://127.0.0.1:2/v1" }
        deployments:
          - { name: gpt, provider: cloud, model: gpt-4o-mini }
          - { name: llama, provider: onprem, model: llama }
        routes:
        """;

    private static RouteRuntime Route(string routes) => GatewaySnapshot.Build(ConfigLoader.Parse(Base + "\n" + routes), null).Routes["r"];

    private static string Body(string content) =>
        $$"""{"model":"r","messages":[{"role":"user","content":{{JsonSerializer.Serialize(content)}}}]}""";

    [Fact]
    public void RoutePatterns_AreRoutedByEveryRuleAndMaskedInCapture()
    {
        var route = Route("""
              - name: r
                deployment: gpt
                capture: redacted
                patterns: { employee_id: '\bEMP-\d{6}\b' }
                rules:
                  - name: staff
                    when: { pii: [employee_id] }
                    only: [llama]
            """);

        var plan = route.Policy.Decide(RequestView.For(Body("ticket for EMP-123456")));
        Assert.Equal(["llama"], plan.Chain.Select(d => d.Name));
        Assert.Equal("gpt", route.Policy.Decide(RequestView.For(Body("ticket for EMP-12345"))).Chain[0].Name);

        var record = Finish(route, Body("ticket for EMP-123456"), "Done for EMP-654321, mail jane@example.org");
        Assert.Equal("""[{"role":"user","content":"ticket for [employee_id]"}]""", record.PromptContent);
        Assert.Equal("Done for [employee_id], mail [email]", record.ResponseContent);
    }

    [Fact]
    public void RulePatterns_ExistingShape_JoinTheRouteVocabulary()
    {
        // The shape configurations used before routes had patterns: the pattern inside the rule that lists it.
        var route = Route("""
              - name: r
                deployment: gpt
                capture: redacted
                rules:
                  - name: staff
                    when: { pii: [employee_id], patterns: { employee_id: '\bEMP-\d{6}\b' } }
                    only: [llama]
                  - name: anything
                    when: { pii: [any], headers: { x-strict: "1" } }
                    deployment: llama
            """);

        Assert.Equal(["llama"], route.Policy.Decide(RequestView.For(Body("EMP-123456"))).Chain.Select(d => d.Name));

        // "any" in another rule covers the route's custom kinds too.
        var strict = new Dictionary<string, string> { ["x-strict"] = "1" };
        var other = RequestView.For(Body("badge EMP-000001"), headers: strict);
        Assert.StartsWith("rule staff", route.Policy.Decide(other).Reason, StringComparison.Ordinal);

        // Before, capture masked no custom pattern at all: "ticket for EMP-123456" was stored as sent.
        var record = Finish(route, Body("ticket for EMP-123456"), "ok");
        Assert.Equal("""[{"role":"user","content":"ticket for [employee_id]"}]""", record.PromptContent);

        Assert.Same(PersonalDataDetector.ForRoute(route.Config), PersonalDataDetector.ForRoute(route.Config));
        Assert.Equal(["employee_id", "email", "secret", "iban", "card", "ssn", "ip", "phone"], PersonalDataDetector.ForRoute(route.Config).Kinds.Select(k => k.Name));
    }

    [Fact]
    public void RouteWithoutPatterns_UsesTheBuiltInDetector()
    {
        var route = Route("""
              - name: r
                deployment: gpt
                capture: redacted
            """);
        Assert.Same(PersonalDataDetector.Default, PersonalDataDetector.ForRoute(route.Config));
    }

    [Fact]
    public void Capture_PromptJsonEscapes_AreMaskedAsRoutingReadsTheText()
    {
        // In the stored JSON the card follows "\n": the letter n before the digits. The former redactor ran on the
        // raw JSON and kept such values; routing (on the text) saw a card.
        var route = Route("""
              - name: r
                deployment: gpt
                capture: redacted
                rules:
                  - { name: pii, when: { pii: [card] }, only: [llama] }
            """);
        const string content = "my card:\n4111 1111 1111 1111\tthanks";
        Assert.Equal("llama", route.Policy.Decide(RequestView.For(Body(content))).Chain[0].Name);

        var record = Finish(route, Body(content), "noted");
        Assert.Equal("""[{"role":"user","content":"my card:\n[card]\tthanks"}]""", record.PromptContent);
    }

    [Fact]
    public void Capture_LongAnswer_IsMaskedBeforeItIsCut()
    {
        var route = Route("""
              - name: r
                deployment: gpt
                capture: redacted
            """);

        // The address straddles the cut at RecordFinisher.MaxCapturedChars (262,144 characters).
        var answer = new string('x', RecordFinisher.MaxCapturedChars - 8) + " jane.doe@example.org tail";
        var record = Finish(route, Body("hi"), answer);
        // Masked: MaxCapturedChars - 8 + " [email]" (8) + " tail" (5), so the cut falls right after the placeholder.
        var expected = new string('x', RecordFinisher.MaxCapturedChars - 8) + " [email]…[truncated]";
        Assert.Equal(expected, record.ResponseContent);
        Assert.DoesNotContain("jane", record.ResponseContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Capture_Full_KeepsContentAsSent()
    {
        var route = Route("""
              - name: r
                deployment: gpt
                capture: full
                patterns: { employee_id: '\bEMP-\d{6}\b' }
            """);
        var record = Finish(route, Body("EMP-123456 jane@example.org"), "EMP-654321");
        Assert.Equal("""[{"role":"user","content":"EMP-123456 jane@example.org"}]""", record.PromptContent);
        Assert.Equal("EMP-654321", record.ResponseContent);
    }

    [Fact]
    public void Parse_PatternProblems_AreReportedWithTheirPaths()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Base + "\n" + """
              - name: r
                deployment: gpt
                patterns: { email: 'x', bad: '(', employee_id: '\bEMP-\d{6}\b' }
                rules:
                  - name: a
                    when: { pii: [employee_id, passport], patterns: { employee_id: '\bE-\d+\b', any: 'y' } }
                    only: [llama]
            """));
        Assert.Equal(
            [
                "routes[0].patterns.email: 'email' cannot name a custom kind (empty, 'any' or built in)",
                "routes[0].patterns.bad: invalid regular expression: Invalid pattern '(' at offset 1. Not enough )'s.",
                "routes[0].rules[0].when.patterns.employee_id: 'employee_id' is already defined with a different expression at routes[0].patterns.employee_id",
                "routes[0].rules[0].when.patterns.any: 'any' cannot name a custom kind (empty, 'any' or built in)",
                "routes[0].rules[0].when.pii: unknown kind 'passport' (expected any, email, secret, iban, card, ssn, ip, phone or a name in the route's patterns)",
            ],
            e.Errors);
    }

    [Fact]
    public void Parse_SamePatternTwice_AndPiiNamingAnotherRulesPattern_AreAccepted()
    {
        var config = ConfigLoader.Parse(Base + "\n" + """
              - name: r
                deployment: gpt
                patterns: { employee_id: '\bEMP-\d{6}\b' }
                rules:
                  - name: a
                    when: { pii: [employee_id, badge], patterns: { employee_id: '\bEMP-\d{6}\b' } }
                    only: [llama]
                  - name: b
                    when: { pii: [badge, ssn, ip, secret], patterns: { badge: '\bB\d{4}\b' } }
                    only: [llama]
            """);
        Assert.Equal(["employee_id", "badge"], PersonalDataDetector.ForRoute(config.Routes[0]).Kinds.Take(2).Select(k => k.Name));
    }

    private static RequestRecord Finish(RouteRuntime route, string body, string answer)
    {
        var request = ApiRequest.Parse(Encoding.UTF8.GetBytes(body), ApiOperation.ChatCompletions, out _)!;
        var snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Base + "\n  - { name: r, deployment: gpt }"), null);
        var record = new RequestRecord { Route = route.Name };
        new RecordFinisher().Finish(record, new ResponseFacts { Content = new StringBuilder(answer) }, request, route, null, snapshot);
        return record;
    }
}
