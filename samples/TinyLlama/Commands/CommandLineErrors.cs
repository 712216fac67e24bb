using System.CommandLine;
using Sdtp.Checkpoints;
using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Tokenization;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>
/// Runs the parsed command. A problem with the user's input becomes one red line and exit code 1; anything else is a
/// bug or an environment failure, so it also names the exception type and how to see the stack (<c>--verbose</c>).
/// </summary>
public static class CommandLineErrors
{
    /// <summary>The root option that prints the stack trace of a failure.</summary>
    public static Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "on failure, print the exception's type and stack trace",
        Recursive = true,
    };

    // A bad enum value's message lists the valid names one per line ("Did you mean one of the following?\nToken\n...").
    private static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length <= 1 ? message.Trim() : lines[0] + " " + string.Join(", ", lines[1..]);
    }

    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line: the most specific complaint first ("Unrecognized command 'x'" before "Required command was not provided").
            var messages = parse.Errors.Select(e => OneLine(e.Message).TrimEnd('.')).Reverse().ToList();
            Console.Error.WriteLine($"error: {string.Join("; ", messages)}");
            return 2;
        }
        try
        {
            // Exceptions come here, not to System.CommandLine's handler, which would print a stack trace.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Plain stderr: a console renderer would wrap a long path across lines.
            bool verbose = parse.GetValue(Verbose);
            if (IsInputProblem(e))
                Console.Error.WriteLine($"error: {Describe(e)}");
            else // the first line only: libtorch appends its C++ stack to the message
                Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {Describe(e).Split('\n')[0].TrimEnd()}" +
                    (verbose ? "" : " (rerun with --verbose to see where it happened)"));
            if (verbose) Console.Error.WriteLine(e);
            return 1;
        }
    }

    /// <summary>Whether <paramref name="e"/> reports something about the user's input or files rather than a fault in the tool.</summary>
    public static bool IsInputProblem(Exception e) => e is ArgumentException or CheckpointException or ModelConfigException
        or TokenizerException or PruningScheduleException or FileNotFoundException or DirectoryNotFoundException
        or InvalidDataException or UnauthorizedAccessException or NotSupportedException or OperationCanceledException
        or PathTooLongException;

    /// <summary>
    /// The message in one line: argument exceptions lose the " (Parameter 'x')" suffix and the "Actual value was" line
    /// .NET appends, keeping the value.
    /// </summary>
    public static string Describe(Exception e)
    {
        if (e is not ArgumentException argument) return e.Message;
        var message = argument.Message;
        if (argument.ParamName is { } name)
            message = message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var text = lines.Length == 0 ? "" : lines[0];
        if (argument is ArgumentOutOfRangeException { ActualValue: { } value })
            text = $"{(argument.ParamName is { } p ? p + " " : "")}{text} (got {value})";
        return text;
    }
}
