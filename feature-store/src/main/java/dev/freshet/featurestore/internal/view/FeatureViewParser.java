package dev.freshet.featurestore.internal.view;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.freshet.featurestore.FeatureStoreException;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureView.Aggregation;
import dev.freshet.featurestore.FeatureView.Field;
import dev.freshet.featurestore.FeatureView.FieldType;
import dev.freshet.featurestore.FeatureView.Function;
import dev.freshet.featurestore.FeatureView.LabelFeature;
import dev.freshet.featurestore.FeatureView.Transform;
import dev.freshet.featurestore.FeatureView.TransformFunction;
import dev.freshet.featurestore.FeatureView.WindowType;
import dev.freshet.featurestore.InvalidFeatureViewException;

/**
 * Reads a feature view from YAML and validates it, collecting every problem with its path before refusing it.
 * Stateless and thread-safe.
 */
public final class FeatureViewParser {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Writes one view's definition for the registry, as a person would: no document marker, few quotes. */
    private static final ObjectMapper YAML_WRITER = new ObjectMapper(YAMLFactory.builder()
        .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
        .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
        .build());
    private static final Set<String> VIEW_KEYS =
        Set.of("name", "version", "description", "entity", "event_time", "grace", "fields", "aggregations",
            "transforms", "label", "request_id");
    private static final Set<String> FIELD_KEYS = Set.of("name", "path", "type", "optional");
    private static final Set<String> AGGREGATION_KEYS = Set.of("name", "function", "field", "window");
    private static final Set<String> WINDOW_KEYS = Set.of("type", "size", "advance", "gap", "grace");
    private static final Set<String> TRANSFORM_KEYS = Set.of("name", "function", "field", "offset", "min", "max",
        "boundaries", "vocabulary", "buckets");
    private static final Set<String> LABEL_KEYS = Set.of("name");
    private static final int MAX_BUCKETS = 1 << 20;
    private static final String FUNCTIONS = "count, sum, mean, min, max, stddev, last, distinct_count, "
        + "time_since_last";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]*");
    private static final String DURATION_HINT = "use e.g. 30s, 10m, 1h";

    private FeatureViewParser() {
    }

    /**
     * Reads and validates the view in a YAML file.
     *
     * @throws InvalidFeatureViewException naming the file, each offending path and the reason
     * @throws FeatureStoreException when the file cannot be read
     */
    public static FeatureView parse(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new FeatureStoreException("Cannot read the feature view file " + file + " (" + e
                + "); set featurestore.view.file to a readable YAML file.", e);
        }
        return parse(text, file.toString());
    }

    /**
     * Reads and validates a view from YAML text that holds exactly one view.
     *
     * @param source named in the exception's message (e.g. the file), or null
     * @throws InvalidFeatureViewException listing each offending path and the reason
     */
    public static FeatureView parse(String yaml, String source) {
        List<DeclaredView> views = parseAll(yaml, source);
        if (views.size() != 1) {
            throw new InvalidFeatureViewException(source, List.of("(document): holds " + views.size()
                + " views where one was expected"));
        }
        return views.get(0).view();
    }

    /**
     * Reads and validates every view in a YAML file, as a whole.
     *
     * @throws InvalidFeatureViewException naming the file, each offending path and the reason
     * @throws FeatureStoreException when the file cannot be read
     */
    public static List<DeclaredView> parseAll(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new FeatureStoreException("Cannot read the feature view file " + file + " (" + e
                + "); check the path and that it is readable.", e);
        }
        return parseAll(text, file.toString());
    }

    /**
     * Reads and validates every view in YAML text, as a whole: a single view (a mapping with {@code name}), a
     * mapping {@code views:} holding a list of views, or several YAML documents ({@code ---}), each of either form.
     * Besides each view's own checks, view names must be unique and so must feature names across views of the same
     * entity path, since serving merges their features. Nothing is returned unless everything is valid.
     *
     * @param source named in the exception's message (e.g. the file), or null
     * @return the views in document order; never empty
     * @throws InvalidFeatureViewException listing each offending path (e.g. {@code views[1].fields[0].type}) and
     *     the reason
     */
    public static List<DeclaredView> parseAll(String yaml, String source) {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (docs.hasNextValue()) {
                JsonNode doc = docs.nextValue();
                if (doc != null && !doc.isMissingNode() && !doc.isNull()) {
                    documents.add(doc);
                }
            }
        } catch (IOException e) {
            String detail = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new InvalidFeatureViewException(source, List.of("(document): not valid YAML: " + detail));
        }
        List<String> problems = new ArrayList<>();
        List<DeclaredView> views = new ArrayList<>();
        if (documents.isEmpty()) {
            problems.add("(document): empty; expected a view (a mapping with name, entity, event_time, fields and "
                + "aggregations) or a mapping with a views list");
        }
        for (int d = 0; d < documents.size(); d++) {
            String docPrefix = documents.size() == 1 ? "" : "documents[" + d + "].";
            readDocument(documents.get(d), docPrefix, problems, views);
        }
        if (problems.isEmpty()) {
            checkAcrossViews(views, List.of(), problems);
        }
        if (!problems.isEmpty()) {
            throw new InvalidFeatureViewException(source, problems);
        }
        return List.copyOf(views);
    }

    /**
     * The problems that registering {@code applied} next to {@code registered} would cause: a feature name that a
     * registered view of the same entity path (other than a view being replaced, by name) already has.
     *
     * @return one {@code "<path>: <reason>"} per clash; empty when the views fit together
     */
    public static List<String> clashesWithRegistered(List<DeclaredView> applied, List<FeatureView> registered) {
        Set<String> replaced = new HashSet<>();
        applied.forEach(v -> replaced.add(v.view().name()));
        List<FeatureView> others = registered.stream().filter(v -> !replaced.contains(v.name())).toList();
        List<String> problems = new ArrayList<>();
        checkAcrossViews(applied, others, problems);
        return problems;
    }

    private static void readDocument(JsonNode doc, String docPrefix, List<String> problems,
            List<DeclaredView> views) {
        if (!doc.isObject()) {
            problems.add((docPrefix.isEmpty() ? "(document)" : docPrefix.substring(0, docPrefix.length() - 1))
                + ": expected a mapping with name, entity, event_time, fields and aggregations, or with a views list");
            return;
        }
        if (!doc.has("views")) {
            addView(doc, docPrefix, problems, views);
            return;
        }
        for (Iterator<String> names = doc.fieldNames(); names.hasNext(); ) {
            String key = names.next();
            if (!key.equals("views")) {
                problems.add(docPrefix + key + ": unknown key beside views; put each view's keys inside its entry "
                    + "of the views list");
            }
        }
        JsonNode list = doc.get("views");
        if (!list.isArray() || list.isEmpty()) {
            problems.add(docPrefix + "views: expected a non-empty list of views");
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            String at = docPrefix + "views[" + i + "]";
            if (!list.get(i).isObject()) {
                problems.add(at + ": expected a mapping with name, entity, event_time, fields and aggregations");
                continue;
            }
            addView(list.get(i), at + ".", problems, views);
        }
    }

    private static void addView(JsonNode node, String at, List<String> problems, List<DeclaredView> views) {
        List<String> own = new ArrayList<>();
        FeatureView view = new Reader(own).view(node);
        own.forEach(p -> problems.add(at + p));
        if (view != null && own.isEmpty()) {
            try {
                views.add(new DeclaredView(view, YAML_WRITER.writeValueAsString(node), at));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("A parsed YAML tree could not be written back", e);
            }
        }
    }

    /** View names unique among {@code views}; feature names unique per entity path among both lists. */
    private static void checkAcrossViews(List<DeclaredView> views, List<FeatureView> registered,
            List<String> problems) {
        Map<String, String> viewNames = new HashMap<>();
        // entity path -> feature name -> where it is declared
        Map<String, Map<String, String>> features = new HashMap<>();
        for (FeatureView other : registered) {
            Map<String, String> names = features.computeIfAbsent(other.entityPath(), k -> new HashMap<>());
            featureNames(other).keySet().forEach(name -> names.putIfAbsent(name, "registered view '" + other.name()
                + "'"));
        }
        for (DeclaredView declared : views) {
            FeatureView view = declared.view();
            String previous = viewNames.putIfAbsent(view.name(), declared.path());
            if (previous != null) {
                problems.add(declared.path() + "name: duplicate view name '" + view.name() + "' (also at "
                    + (previous.isEmpty() ? "the top" : previous.substring(0, previous.length() - 1)) + ")");
                continue;
            }
            Map<String, String> names = features.computeIfAbsent(view.entityPath(), k -> new HashMap<>());
            for (Map.Entry<String, String> feature : featureNames(view).entrySet()) {
                String where = "view '" + view.name() + "'";
                String other = names.putIfAbsent(feature.getKey(), where);
                if (other != null) {
                    problems.add(declared.path() + feature.getValue() + ": feature '" + feature.getKey()
                        + "' is also defined by " + other + " of the same entity '" + view.entityPath()
                        + "'; serving merges the features of an entity's views, so rename one");
                }
            }
        }
    }

    /** Each feature name of a view and the path of its declaration. */
    private static Map<String, String> featureNames(FeatureView view) {
        Map<String, String> names = new LinkedHashMap<>();
        for (int i = 0; i < view.fields().size(); i++) {
            names.put(view.fields().get(i).name(), "fields[" + i + "].name");
        }
        for (int i = 0; i < view.aggregations().size(); i++) {
            names.put(view.aggregations().get(i).name(), "aggregations[" + i + "].name");
        }
        for (int i = 0; i < view.transforms().size(); i++) {
            names.put(view.transforms().get(i).name(), "transforms[" + i + "].name");
        }
        if (view.label() != null) {
            names.put(view.label().name(), "label.name");
        }
        return names;
    }

    /**
     * One valid view as declared in a file.
     *
     * @param view the view
     * @param yaml the view's own definition, as YAML (comments are not kept)
     * @param path where it is in the file, as a path prefix: empty for a single-view file, else e.g.
     *     {@code views[1].}
     */
    public record DeclaredView(FeatureView view, String yaml, String path) {
    }

    /** Walks one document, adding a problem per mistake; the values it returns are meaningless if any. */
    private static final class Reader {
        private final List<String> problems;

        Reader(List<String> problems) {
            this.problems = problems;
        }

        FeatureView view(JsonNode root) {
            unknownKeys(root, "", VIEW_KEYS);
            String name = name(root, "name", "");
            int version = 1;
            JsonNode versionNode = root.get("version");
            if (versionNode != null && !versionNode.isNull()) {
                if (!versionNode.canConvertToInt() || !versionNode.isIntegralNumber() || versionNode.intValue() < 1) {
                    problem("version", "'" + versionNode.asText() + "' is not a positive whole number");
                } else {
                    version = versionNode.intValue();
                }
            }
            String entity = path(root, "entity");
            String eventTime = path(root, "event_time");
            Duration grace = Duration.ZERO;
            if (root.hasNonNull("grace")) {
                grace = duration(root.get("grace"), "grace", true);
            }
            String requestId = root.hasNonNull("request_id") ? path(root, "request_id") : null;
            List<Field> fields = fields(root.get("fields"));
            List<Aggregation> aggregations = aggregations(root.get("aggregations"), fields);
            List<Transform> transforms = transforms(root.get("transforms"), fields);
            LabelFeature label = label(root.get("label"));
            checkUniqueNames(fields, aggregations, transforms, label);
            if (!problems.isEmpty()) {
                return null;
            }
            return new FeatureView(name, version, entity, eventTime, grace, fields, aggregations, transforms, label,
                requestId);
        }

        private LabelFeature label(JsonNode node) {
            if (node == null || node.isNull()) {
                return null;
            }
            if (!node.isObject()) {
                problem("label", "expected a mapping such as {name: last_label}");
                return null;
            }
            unknownKeys(node, "label.", LABEL_KEYS);
            String name = name(node, "name", "label.");
            return name == null ? null : new LabelFeature(name);
        }

        private List<Transform> transforms(JsonNode node, List<Field> fields) {
            List<Transform> transforms = new ArrayList<>();
            if (node == null || node.isNull()) {
                return transforms;
            }
            if (!node.isArray()) {
                problem("transforms", "expected a list of {name, function, field, ...} entries");
                return transforms;
            }
            for (int i = 0; i < node.size(); i++) {
                String at = "transforms[" + i + "]";
                JsonNode entry = node.get(i);
                if (!entry.isObject()) {
                    problem(at, "expected a mapping such as {name: amount_log, function: log, field: amount}");
                    continue;
                }
                unknownKeys(entry, at + ".", TRANSFORM_KEYS);
                String name = name(entry, "name", at + ".");
                TransformFunction function = enumValue(entry, "function", at + ".", TransformFunction.class,
                    "log, clip, bucketize, one_hot, hash, tokens");
                String field = null;
                if (!entry.hasNonNull("field")) {
                    problem(at + ".field", "missing; a transform reads one declared field");
                } else {
                    field = text(entry.get("field"), at + ".field");
                }
                if (function == null) {
                    continue;
                }
                String fn = function.name().toLowerCase(Locale.ROOT);
                FieldType needs = switch (function) {
                    case LOG, CLIP, BUCKETIZE -> FieldType.NUMBER;
                    case ONE_HOT, HASH, TOKENS -> FieldType.STRING;
                };
                if (field != null) {
                    checkFieldType(field, fields, at + ".field", Set.of(needs), fn);
                }
                Set<String> allowed = switch (function) {
                    case LOG -> Set.of("offset");
                    case CLIP -> Set.of("min", "max");
                    case BUCKETIZE -> Set.of("boundaries");
                    case ONE_HOT -> Set.of("vocabulary");
                    case HASH, TOKENS -> Set.of("buckets");
                };
                for (String key : List.of("offset", "min", "max", "boundaries", "vocabulary", "buckets")) {
                    if (entry.has(key) && !allowed.contains(key)) {
                        problem(at + "." + key, "does not apply to " + fn + "; " + fn + " takes "
                            + (allowed.isEmpty() ? "no parameters" : String.join(", ", new TreeSet<>(allowed))));
                    }
                }
                Double offset = function == TransformFunction.LOG ? number(entry, "offset", at, 1.0) : null;
                Double min = function == TransformFunction.CLIP ? number(entry, "min", at, null) : null;
                Double max = function == TransformFunction.CLIP ? number(entry, "max", at, null) : null;
                if (function == TransformFunction.CLIP) {
                    if (!entry.has("min") && !entry.has("max")) {
                        problem(at, "clip needs min, max or both");
                    } else if (min != null && max != null && min > max) {
                        problem(at + ".max", max + " is below min " + min);
                    }
                }
                List<Double> boundaries = function == TransformFunction.BUCKETIZE ? boundaries(entry, at) : List.of();
                List<String> vocabulary = function == TransformFunction.ONE_HOT ? vocabulary(entry, at) : List.of();
                int buckets = function == TransformFunction.HASH || function == TransformFunction.TOKENS
                    ? buckets(entry, at) : 0;
                if (name != null && field != null) {
                    transforms.add(new Transform(name, function, field, offset, min, max, boundaries, vocabulary,
                        buckets));
                }
            }
            return transforms;
        }

        private Double number(JsonNode entry, String key, String at, Double absent) {
            JsonNode node = entry.get(key);
            if (node == null || node.isNull()) {
                return absent;
            }
            if (!node.isNumber() || !Double.isFinite(node.doubleValue())) {
                problem(at + "." + key, "'" + node.asText() + "' is not a number");
                return absent;
            }
            return node.doubleValue();
        }

        private List<Double> boundaries(JsonNode entry, String at) {
            JsonNode node = entry.get("boundaries");
            if (node == null || !node.isArray() || node.isEmpty()) {
                problem(at + ".boundaries", "missing or empty; give a list of increasing numbers such as [10, 100]");
                return List.of();
            }
            List<Double> out = new ArrayList<>();
            for (int j = 0; j < node.size(); j++) {
                JsonNode b = node.get(j);
                if (!b.isNumber() || !Double.isFinite(b.doubleValue())) {
                    problem(at + ".boundaries[" + j + "]", "'" + b.asText() + "' is not a number");
                    return List.of();
                }
                if (!out.isEmpty() && b.doubleValue() <= out.get(out.size() - 1)) {
                    problem(at + ".boundaries[" + j + "]", b.doubleValue() + " is not above the boundary before it; "
                        + "boundaries must be strictly increasing");
                    return List.of();
                }
                out.add(b.doubleValue());
            }
            return out;
        }

        private List<String> vocabulary(JsonNode entry, String at) {
            JsonNode node = entry.get("vocabulary");
            if (node == null || !node.isArray() || node.isEmpty()) {
                problem(at + ".vocabulary", "missing or empty; give the list of values, e.g. [web, app, pos] "
                    + "(any other value becomes __other__), or use function: hash for an open set");
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (int j = 0; j < node.size(); j++) {
                JsonNode v = node.get(j);
                if (!v.isValueNode() || v.isNull()) {
                    problem(at + ".vocabulary[" + j + "]", "expected a single value");
                    return List.of();
                }
                if (out.contains(v.asText())) {
                    problem(at + ".vocabulary[" + j + "]", "'" + v.asText() + "' is listed twice");
                    return List.of();
                }
                out.add(v.asText());
            }
            return out;
        }

        private int buckets(JsonNode entry, String at) {
            JsonNode node = entry.get("buckets");
            if (node == null || node.isNull()) {
                problem(at + ".buckets", "missing; give the number of hash buckets, e.g. 32");
                return 0;
            }
            if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 1
                    || node.intValue() > MAX_BUCKETS) {
                problem(at + ".buckets", "'" + node.asText() + "' is not a whole number from 1 to " + MAX_BUCKETS);
                return 0;
            }
            return node.intValue();
        }

        private List<Field> fields(JsonNode node) {
            List<Field> fields = new ArrayList<>();
            if (node == null || node.isNull()) {
                return fields;
            }
            if (!node.isArray()) {
                problem("fields", "expected a list of {name, type} entries");
                return fields;
            }
            for (int i = 0; i < node.size(); i++) {
                String at = "fields[" + i + "]";
                JsonNode entry = node.get(i);
                if (!entry.isObject()) {
                    problem(at, "expected a mapping such as {name: amount, type: number}");
                    continue;
                }
                unknownKeys(entry, at + ".", FIELD_KEYS);
                String name = name(entry, "name", at + ".");
                String path = entry.hasNonNull("path") ? text(entry.get("path"), at + ".path") : name;
                FieldType type = enumValue(entry, "type", at + ".", FieldType.class, "number, string, boolean");
                boolean optional = false;
                if (entry.has("optional")) {
                    if (!entry.get("optional").isBoolean()) {
                        problem(at + ".optional", "'" + entry.get("optional").asText() + "' is not true or false");
                    } else {
                        optional = entry.get("optional").booleanValue();
                    }
                }
                if (name != null && path != null && type != null) {
                    fields.add(new Field(name, path, type, optional));
                }
            }
            return fields;
        }

        private List<Aggregation> aggregations(JsonNode node, List<Field> fields) {
            List<Aggregation> aggregations = new ArrayList<>();
            if (node == null || node.isNull()) {
                return aggregations;
            }
            if (!node.isArray()) {
                problem("aggregations", "expected a list of {name, function, field, window} entries");
                return aggregations;
            }
            for (int i = 0; i < node.size(); i++) {
                String at = "aggregations[" + i + "]";
                JsonNode entry = node.get(i);
                if (!entry.isObject()) {
                    problem(at, "expected a mapping such as {name: amount_sum_10m, function: sum, field: amount, "
                        + "window: 10m}");
                    continue;
                }
                unknownKeys(entry, at + ".", AGGREGATION_KEYS);
                String name = name(entry, "name", at + ".");
                Function function = enumValue(entry, "function", at + ".", Function.class, FUNCTIONS);
                String fn = function == null ? "" : function.name().toLowerCase(Locale.ROOT);
                String field = entry.hasNonNull("field") ? text(entry.get("field"), at + ".field") : null;
                boolean fieldless = function == Function.COUNT || function == Function.TIME_SINCE_LAST;
                if (field != null && function == Function.TIME_SINCE_LAST) {
                    problem(at + ".field", "does not apply to time_since_last, which uses the event times only");
                } else if (field != null && function == Function.DISTINCT_COUNT) {
                    checkFieldType(field, fields, at + ".field", Set.of(FieldType.values()), fn);
                } else if (field != null) {
                    checkFieldType(field, fields, at + ".field", Set.of(FieldType.NUMBER), "aggregations");
                } else if (function != null && !fieldless) {
                    problem(at + ".field", "missing; " + fn + " needs a declared "
                        + (function == Function.DISTINCT_COUNT ? "" : "number ") + "field");
                }
                Aggregation aggregation = null;
                if (function == Function.TIME_SINCE_LAST) {
                    if (entry.has("window")) {
                        problem(at + ".window", "does not apply to time_since_last, which looks at the entity's "
                            + "two newest events whatever their age");
                    }
                    aggregation = name == null ? null : new Aggregation(name, function, null, Duration.ZERO,
                        WindowType.TRAILING, Duration.ZERO, null);
                } else if (!entry.hasNonNull("window")) {
                    problem(at + ".window", "missing; " + DURATION_HINT + " for a trailing window, or e.g. "
                        + "{type: tumbling, size: 1h}");
                } else if (function != null && name != null) {
                    aggregation = window(entry.get("window"), at + ".window", name, function, field);
                } else {
                    window(entry.get("window"), at + ".window", "x", Function.COUNT, null);
                }
                if (aggregation != null && function != null) {
                    aggregations.add(aggregation);
                }
            }
            return aggregations;
        }

        /** A window: a duration for a trailing one, or a mapping with its type. */
        private Aggregation window(JsonNode node, String at, String name, Function function, String field) {
            if (!node.isObject()) {
                Duration size = duration(node, at, false);
                return size == null ? null : new Aggregation(name, function, field, size);
            }
            unknownKeys(node, at + ".", WINDOW_KEYS);
            WindowType type = enumValue(node, "type", at + ".", WindowType.class,
                "trailing, tumbling, hopping, session");
            if (type == null) {
                return null;
            }
            String lengthKey = type == WindowType.SESSION ? "gap" : "size";
            String otherKey = type == WindowType.SESSION ? "size" : "gap";
            if (node.has(otherKey)) {
                problem(at + "." + otherKey, "does not apply to a " + type.name().toLowerCase(Locale.ROOT)
                    + " window; use " + lengthKey);
            }
            if (node.has("advance") && type != WindowType.HOPPING) {
                problem(at + ".advance", "only a hopping window has an advance");
            }
            Duration size = null;
            if (!node.hasNonNull(lengthKey)) {
                problem(at + "." + lengthKey, "missing; " + DURATION_HINT);
            } else {
                size = duration(node.get(lengthKey), at + "." + lengthKey, false);
            }
            Duration grace = node.hasNonNull("grace") ? duration(node.get("grace"), at + ".grace", true) : null;
            Duration advance = Duration.ZERO;
            if (type == WindowType.HOPPING) {
                if (!node.hasNonNull("advance")) {
                    problem(at + ".advance", "missing; a hopping window needs an advance shorter than its size");
                    return null;
                }
                advance = duration(node.get("advance"), at + ".advance", false);
                if (advance != null && size != null && advance.compareTo(size) > 0) {
                    problem(at + ".advance", "'" + node.get("advance").asText() + "' is longer than the size '"
                        + node.get("size").asText() + "'; events between windows would be lost");
                    return null;
                }
            } else if (type == WindowType.TUMBLING) {
                advance = size;
            }
            if (size == null || advance == null || (node.hasNonNull("grace") && grace == null)) {
                return null;
            }
            return new Aggregation(name, function, field, size, type, advance, grace);
        }

        private void checkFieldType(String field, List<Field> fields, String at, Set<FieldType> accepted,
                String user) {
            String types = accepted.size() == FieldType.values().length ? "a field"
                : "a " + accepted.iterator().next().name().toLowerCase(Locale.ROOT) + " field";
            for (Field declared : fields) {
                if (declared.name().equals(field)) {
                    if (!accepted.contains(declared.type())) {
                        problem(at, "'" + field + "' is a " + declared.type().name().toLowerCase(Locale.ROOT)
                            + " field; " + user + " need" + (user.equals("aggregations") ? "" : "s") + " " + types);
                    }
                    return;
                }
            }
            problem(at, "'" + field + "' is not a declared field; declare it under fields"
                + (accepted.size() == 1 ? " with type " + accepted.iterator().next().name().toLowerCase(Locale.ROOT)
                : ""));
        }

        private void checkUniqueNames(List<Field> fields, List<Aggregation> aggregations, List<Transform> transforms,
                LabelFeature label) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < fields.size(); i++) {
                if (!seen.add(fields.get(i).name())) {
                    problem("fields[" + i + "].name", "duplicate feature name '" + fields.get(i).name() + "'");
                }
            }
            for (int i = 0; i < aggregations.size(); i++) {
                if (!seen.add(aggregations.get(i).name())) {
                    problem("aggregations[" + i + "].name",
                        "duplicate feature name '" + aggregations.get(i).name() + "'");
                }
            }
            for (int i = 0; i < transforms.size(); i++) {
                if (!seen.add(transforms.get(i).name())) {
                    problem("transforms[" + i + "].name", "duplicate feature name '" + transforms.get(i).name() + "'");
                }
            }
            if (label != null && !seen.add(label.name())) {
                problem("label.name", "duplicate feature name '" + label.name() + "'");
            }
        }

        private String name(JsonNode node, String key, String prefix) {
            if (!node.hasNonNull(key)) {
                problem(prefix + key, "missing; every " + (prefix.isEmpty() ? "view" : "entry") + " needs a name");
                return null;
            }
            String name = text(node.get(key), prefix + key);
            if (name != null && !NAME.matcher(name).matches()) {
                problem(prefix + key, "'" + name + "' is not a valid name; use letters, digits, '_', '.' and '-'");
                return null;
            }
            return name;
        }

        private String path(JsonNode root, String key) {
            if (!root.hasNonNull(key)) {
                problem(key, "missing; give the dot-separated path of the field in each event");
                return null;
            }
            String path = text(root.get(key), key);
            if (path != null && (path.isBlank() || path.startsWith(".") || path.endsWith(".") || path.contains(".."))) {
                problem(key, "'" + path + "' is not a field path; use e.g. entity_id or user.id");
                return null;
            }
            return path;
        }

        private String text(JsonNode node, String at) {
            if (!node.isTextual() && !node.isNumber()) {
                problem(at, "expected a single value, not " + node.getNodeType().name().toLowerCase(Locale.ROOT));
                return null;
            }
            return node.asText();
        }

        private Duration duration(JsonNode node, String at, boolean zeroAllowed) {
            String text = node.asText();
            Duration d = node.isTextual() ? Durations.parse(text) : null;
            if (d == null) {
                problem(at, "'" + text + "' is not a duration; " + DURATION_HINT);
                return null;
            }
            if (d.isZero() && !zeroAllowed) {
                problem(at, "'" + text + "' is empty; a window must be longer than zero");
                return null;
            }
            return d;
        }

        private <E extends Enum<E>> E enumValue(JsonNode node, String key, String prefix, Class<E> type,
                String accepted) {
            if (!node.hasNonNull(key)) {
                problem(prefix + key, "missing; use one of " + accepted);
                return null;
            }
            String text = node.get(key).asText();
            try {
                return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                problem(prefix + key, "'" + text + "' is not one of " + accepted);
                return null;
            }
        }

        private void unknownKeys(JsonNode node, String prefix, Set<String> allowed) {
            for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                String key = names.next();
                if (!allowed.contains(key)) {
                    problem(prefix + key, "unknown key; expected one of " + new java.util.TreeSet<>(allowed));
                }
            }
        }

        private void problem(String path, String reason) {
            problems.add(path + ": " + reason);
        }
    }
}
