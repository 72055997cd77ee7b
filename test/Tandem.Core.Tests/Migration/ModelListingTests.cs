using System.Text;
using Tandem.Migration;
using Xunit;

namespace Tandem.Core.Tests.Migration;

/// <summary>Shutdown dates read from a provider's model listing (issue 18, item 15a).</summary>
public sealed class ModelListingTests
{
    /// <summary>
    /// The shape of OpenAI's <c>GET /v1/models</c> (<c>object</c>, <c>data</c>; each model <c>id</c>, <c>object</c>,
    /// <c>created</c>, <c>owned_by</c>), with <c>shutdown_date</c> on three entries in the forms a provider may use, an
    /// entry in the shape of Azure OpenAI's listing (its documented example, with <c>deprecation</c>), and entries a
    /// reader must step over. Written for this test, not recorded from a live account.
    /// </summary>
    private const string Listing = """
        {
          "object": "list",
          "data": [
            { "id": "gpt-4o-mini-2024-07-18", "object": "model", "created": 1721172741, "owned_by": "system", "shutdown_date": 1799884800 },
            { "id": "gpt-4.1-2025-04-14", "object": "model", "created": 1744316542, "owned_by": "system", "shutdown_date": "2027-01-14" },
            { "id": "gpt-4o-2024-08-06", "object": "model", "created": 1722814719, "owned_by": "system", "shutdown_date": "2027-01-14T23:59:59Z" },
            { "id": "gpt-4.1-mini-2025-04-14", "object": "model", "created": 1744317547, "owned_by": "system", "shutdown_date": "1799971199" },
            { "id": "gpt-5-mini", "object": "model", "created": 1754425928, "owned_by": "system" },
            { "id": "o3", "object": "model", "created": 1744225308, "owned_by": "system", "shutdown_date": null },
            { "id": "odd", "object": "model", "created": 1, "owned_by": "system", "shutdown_date": "soon" },
            { "status": "succeeded", "lifecycle_status": "generally-available", "deprecation": { "fine_tune": 1677662127, "inference": 1709284527 },
              "id": "curie", "created_at": 1646126127, "object": "model" },
            { "object": "model", "created": 1 },
            "not a model"
          ]
        }
        """;

    [Fact]
    public void TryRead_RecordedShape_ReadsEachModelsShutdownDate()
    {
        Assert.True(ModelListing.TryRead(Encoding.UTF8.GetBytes(Listing), out var models));
        Assert.Equal(
        [
            new ListedModel("gpt-4o-mini-2024-07-18", new DateOnly(2027, 1, 14)), // 1799884800 = 2027-01-14T00:00:00Z
            new ListedModel("gpt-4.1-2025-04-14", new DateOnly(2027, 1, 14)),
            new ListedModel("gpt-4o-2024-08-06", new DateOnly(2027, 1, 14)),
            new ListedModel("gpt-4.1-mini-2025-04-14", new DateOnly(2027, 1, 14)), // 1799971199 = 2027-01-14T23:59:59Z
            new ListedModel("gpt-5-mini", null),
            new ListedModel("o3", null),
            new ListedModel("odd", null),
            new ListedModel("curie", new DateOnly(2024, 3, 1)), // Azure: deprecation.inference 1709284527 = 2024-03-01T09:15:27Z
        ], models);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{\"object\":\"list\"}")]
    [InlineData("{\"data\":{}}")]
    [InlineData("{\"data\":[")]
    public void TryRead_NotAListing_IsFalse(string body)
    {
        Assert.False(ModelListing.TryRead(Encoding.UTF8.GetBytes(body), out var models));
        Assert.Empty(models);
    }

    [Fact]
    public void TryRead_EmptyListing_IsTrueWithNoModels()
    {
        Assert.True(ModelListing.TryRead("""{"object":"list","data":[]}"""u8, out var models));
        Assert.Empty(models);
    }
}
