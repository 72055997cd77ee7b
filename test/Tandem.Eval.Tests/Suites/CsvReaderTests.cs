using Tandem.Eval.Suites;
using Xunit;

namespace Tandem.Eval.Tests.Suites;

public sealed class CsvReaderTests
{
    [Fact]
    public void ReadRows_QuotedFieldsWithCommasQuotesAndLineBreaks_ReadAsOneField()
    {
        var csv = "text,category\r\nplain,a\n\"with, comma\",b\n\"two\nlines\",c\n\"say \"\"hi\"\"\",d\n,e\n\n\"last\",\"\"";
        var rows = CsvReader.ReadRows(new StringReader(csv)).ToList();
        Assert.Equal(
            [["text", "category"], ["plain", "a"], ["with, comma", "b"], ["two\nlines", "c"], ["say \"hi\"", "d"], ["", "e"], ["last", ""]],
            rows);
    }

    [Fact]
    public void ReadRows_UnclosedQuote_Throws()
    {
        Assert.Throws<FormatException>(() => CsvReader.ReadRows(new StringReader("a,b\n\"open,1\n")).ToList());
    }
}
