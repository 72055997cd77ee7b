using System.Text;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Wire;

/// <summary><see cref="ResponseFacts.Reset"/>: reused facts (the in-process client's ended calls) carry nothing over.</summary>
public sealed class ResponseFactsResetTests
{
    [Fact]
    public void Reset_AfterAResponseWasRead_EveryPropertyIsAsNew()
    {
        var facts = new ResponseFacts { ContentWanted = () => true, IsError = true, Chunks = 3, SawDone = true };
        facts.Read("""{"model":"m-1","system_fingerprint":"fp_1","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"""u8);
        Assert.Equal(("m-1", "fp_1", "stop", "hello", 1), (facts.Model, facts.SystemFingerprint, facts.FinishReason, facts.Content?.ToString(), facts.Usage?.CompletionTokens));

        facts.Reset();

        // Every public property, including any added later, compared with a new instance's.
        var fresh = new ResponseFacts();
        foreach (var property in typeof(ResponseFacts).GetProperties().Where(p => p.CanRead && p.CanWrite))
        {
            Assert.True(Equals(property.GetValue(fresh), property.GetValue(facts)), $"{property.Name} survived Reset");
        }
    }

    [Fact]
    public void Reset_ThenAnotherResponse_IsReadAlone()
    {
        var facts = new ResponseFacts { Content = new StringBuilder() };
        facts.Read("""{"model":"m-1","choices":[{"index":0,"message":{"role":"assistant","content":"first"},"finish_reason":"length"}]}"""u8);

        facts.Reset();
        facts.Content = new StringBuilder();
        facts.Read("""{"model":"m-2","choices":[{"index":0,"message":{"role":"assistant","content":"second"},"finish_reason":"stop"}]}"""u8);

        Assert.Equal(("m-2", "stop", "second", (TokenUsage?)null), (facts.Model, facts.FinishReason, facts.Content.ToString(), facts.Usage));
    }
}
