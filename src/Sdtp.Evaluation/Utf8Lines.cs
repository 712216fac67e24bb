using System.Text;

namespace Sdtp.Evaluation;

/// <summary>
/// The lines of a user's text file, decoded strictly: .NET's default reader replaces invalid UTF-8 with U+FFFD, which
/// would silently train or mark on text the user never wrote. A bad byte is an error naming the line and the byte.
/// </summary>
public static class Utf8Lines
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Each line of <paramref name="path"/> (without its line break), numbered from 1.</summary>
    /// <exception cref="InvalidDataException">A line is not valid UTF-8.</exception>
    public static IEnumerable<(int Number, string Text)> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0; // a BOM is not text
        for (int number = 1; start < bytes.Length; number++)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            int length = end - start;
            if (length > 0 && bytes[end - 1] == '\r') length--;
            string text;
            try
            {
                text = Strict.GetString(bytes, start, length);
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidDataException($"{path}: line {number}: not valid UTF-8 (byte 0x{e.BytesUnknown?.FirstOrDefault():X2} at byte {start + e.Index} of the file)");
            }
            yield return (number, text);
            start = end + 1;
        }
    }
}
