using Tandem.Costs;
using Xunit;

namespace Tandem.Core.Tests.Providers.Gemini;

public sealed class GeminiPricesTests
{
    [Theory]
    [InlineData("gemini-2.5-flash-lite-preview-09-2025", "gemini-2.5-flash-lite", 0.10, 0.40)]
    [InlineData("gemini-2.5-flash-001", "gemini-2.5-flash", 0.30, 2.50)]
    [InlineData("models/gemini-2.5-pro", "gemini-2.5-pro", 1.25, 10.00)]
    [InlineData("gemini-2.0-flash-lite-001", "gemini-2.0-flash-lite", 0.075, 0.30)]
    public void Find_GeminiModelIds_ThePublishedPrices(string model, string entry, double input, double output)
    {
        var price = PriceTable.Find(model)!;

        Assert.Equal((entry, "google", (decimal)input, (decimal)output), (price.Model, price.Provider, price.InputPerMtok, price.OutputPerMtok));
    }
}
