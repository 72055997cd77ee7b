using System.Text;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Wire;

/// <summary>
/// Stream events the mutation run found unpinned: a chunk cut off right after a property name (never a crash: an
/// upstream may send anything), whitespace before the colon, an event that starts with a blank line or whose last line
/// has no line end, and an error object seen twice.
/// </summary>
public sealed class SseEventsEdgeTests
{
    private static ResponseFacts AfterFirstChunk()
    {
        // Past the first chunk only chunks that name usage, finish_reason or error are parsed.
        var facts = new ResponseFacts();
        SseEvents.Inspect("""data: {"id":"x","choices":[{"index":0,"delta":{"content":"Hi"}}]}"""u8, facts);
        return facts;
    }

    [Theory]
    [InlineData("data: {\"choices\":[],\"usage\"")]
    [InlineData("data: {\"choices\":[],\"usage\":")]
    [InlineData("data: {\"choices\":[],\"usage\": ")]
    [InlineData("data: {\"choices\":[{\"finish_reason\" ")]
    [InlineData("data: {\"error\" :")]
    public void Inspect_ChunkCutOffAfterAPropertyName_IsForwardedAsIs(string chunk)
    {
        var facts = AfterFirstChunk();

        Assert.Equal(SseDisposition.Forward, SseEvents.Inspect(Encoding.UTF8.GetBytes(chunk), facts));
        Assert.Null(facts.Usage);
        Assert.Null(facts.FinishReason);
        Assert.False(facts.IsError);
        Assert.Equal(2, facts.Chunks);
    }

    [Fact]
    public void Inspect_SpacesAndTabsBeforeTheColon_StillMarkAUsageChunk()
    {
        var facts = AfterFirstChunk();

        var disposition = SseEvents.Inspect("data: {\"choices\":[],\"usage\" \t: {\"prompt_tokens\":7,\"completion_tokens\":2}}"u8, facts);

        Assert.Equal(SseDisposition.UsageOnly, disposition);
        Assert.Equal(new TokenUsage { PromptTokens = 7, CompletionTokens = 2 }, facts.Usage);
    }

    [Fact]
    public void Inspect_UsageNullAfterWhitespace_IsNotParsed()
    {
        var facts = AfterFirstChunk();

        Assert.Equal(SseDisposition.Forward, SseEvents.Inspect("data: {\"choices\":[],\"usage\" :\t null}"u8, facts));
        Assert.Null(facts.Usage);
    }

    [Fact]
    public void DataOf_EventStartingWithABlankLine_FindsItsDataLine()
    {
        Assert.Equal("x", Encoding.UTF8.GetString(SseEvents.DataOf("\ndata: x\n\n"u8)));
        Assert.Equal("y", Encoding.UTF8.GetString(SseEvents.DataOf("\r\nid: 1\r\ndata:y\r\n"u8)));
    }

    [Fact]
    public void DataOf_LastLineWithoutALineEnd_EndsTheScan()
    {
        Assert.True(SseEvents.DataOf("id: 1"u8).IsEmpty);
        Assert.True(SseEvents.DataOf("event: ping\nretry: 10"u8).IsEmpty);
        Assert.Equal("z", Encoding.UTF8.GetString(SseEvents.DataOf("event: ping\ndata: z"u8)));
    }

    [Fact]
    public void Read_TwoErrorObjects_StayAnError()
    {
        var facts = new ResponseFacts();

        facts.Read("""{"error":{"message":"first"}}"""u8);
        facts.Read("""{"error":{"message":"second"}}"""u8);
        facts.Read("""{"error":null}"""u8);

        Assert.True(facts.IsError);
    }
}
