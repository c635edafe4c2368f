import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.NewClassTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreeScanner;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * The independent count for codetune's extractor tests: javac's own parser (JavacTask.parse only,
 * no attribution) over the given files, one line per named type:
 *
 * <pre>relative/path.java TAB Outer.Inner TAB kind TAB methods TAB constructors TAB fields</pre>
 *
 * Types are named by their enclosing named types (anonymous classes add nothing). Methods of enum
 * constant bodies count for the enum, as codetune lists them; annotation elements count as methods;
 * record components and enum constants count as fields (javac's parser makes them fields too).
 *
 * Usage: java CountDeclarations SOURCE_ROOT FILE_LIST (one path relative to the root per line).
 */
public final class CountDeclarations {
    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        List<Path> files = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                files.add(root.resolve(line.strip()));
            }
        }
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        StandardJavaFileManager fileManager = compiler.getStandardFileManager(null, null, StandardCharsets.UTF_8);
        Iterable<? extends JavaFileObject> sources = fileManager.getJavaFileObjectsFromPaths(files);
        JavacTask task = (JavacTask) compiler.getTask(null, fileManager, diagnostic -> { }, List.of("-proc:none"), null, sources);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        for (CompilationUnitTree unit : task.parse()) {
            String file = root.relativize(Path.of(unit.getSourceFile().toUri())).toString().replace('\\', '/');
            new Counter(file, out).scan(unit, new ArrayDeque<>());
        }
        out.flush();
    }

    private static final class Counter extends TreeScanner<Void, Deque<String>> {
        private final String file;
        private final PrintStream out;

        Counter(String file, PrintStream out) {
            this.file = file;
            this.out = out;
        }

        @Override
        public Void visitClass(ClassTree node, Deque<String> names) {
            String simple = node.getSimpleName().toString();
            if (simple.isEmpty()) {
                return super.visitClass(node, names); // anonymous: named types inside still count
            }
            names.addLast(simple);
            int methods = 0;
            int constructors = 0;
            int fields = 0;
            for (Tree member : node.getMembers()) {
                if (member instanceof MethodTree method) {
                    if (method.getName().contentEquals("<init>")) {
                        constructors++;
                    } else {
                        methods++;
                    }
                } else if (member instanceof VariableTree variable) {
                    fields++;
                    if (variable.getInitializer() instanceof NewClassTree created && created.getClassBody() != null
                            && node.getKind() == Tree.Kind.ENUM) {
                        for (Tree inBody : created.getClassBody().getMembers()) {
                            if (inBody instanceof MethodTree) {
                                methods++;
                            }
                        }
                    }
                }
            }
            out.println(String.join("\t", file, String.join(".", names), kind(node.getKind()),
                    Integer.toString(methods), Integer.toString(constructors), Integer.toString(fields)));
            super.visitClass(node, names);
            names.removeLast();
            return null;
        }

        private static String kind(Tree.Kind kind) {
            return switch (kind) {
                case INTERFACE -> "interface";
                case ENUM -> "enum";
                case RECORD -> "record";
                case ANNOTATION_TYPE -> "annotation";
                default -> "class";
            };
        }
    }
}
