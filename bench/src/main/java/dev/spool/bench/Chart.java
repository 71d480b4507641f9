package dev.spool.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The run as an SVG chart: throughput beside its ceilings, and submit-to-start latency, per database. */
final class Chart {
    private static final String[] COLORS = {"#4e79a7", "#f28e2b"};

    private Chart() {}

    private record Bar(String label, String scenario, String figure) {}

    static String svg(Bench.Results results, Bench.Options o) {
        List<Bar> throughput = List.of(
                new Bar("ceiling, 3 commits/job", "ceiling_job", "jobs_per_s"),
                new Bar("ceiling, batched 100", "ceiling_batch", "jobs_per_s"),
                new Bar("burst via batches", "burst", "jobs_per_s"),
                new Bar(o.clients() + " single submitters", "single", "jobs_per_s"),
                new Bar(o.workers() + " worker processes", "workers", "jobs_per_s"));
        List<Bar> latency = List.of(
                new Bar("p50", "latency", "p50_ms"), new Bar("p99", "latency", "p99_ms"), new Bar("p99.9", "latency", "p999_ms"),
                new Bar("p50, 2 nodes", "latency_nodes", "p50_ms"), new Bar("p99, 2 nodes", "latency_nodes", "p99_ms"),
                new Bar("p99.9, 2 nodes", "latency_nodes", "p999_ms"));
        StringBuilder svg = new StringBuilder();
        int width = 960;
        int height = 420;
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n")
                .append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        panel(svg, results, throughput, 20, "Throughput, jobs/s (higher is better)", 460);
        panel(svg, results, latency, 500, "Submit-to-start at " + o.rate() + " jobs/s, ms (lower is better)", 440);
        int x = 20;
        for (int i = 0; i < results.dbs().size(); i++) {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"395\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, COLORS[i % 2]))
                    .append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"405\">%s</text>\n", x + 16, results.dbs().get(i)));
            x += 120;
        }
        return svg.append("</svg>\n").toString();
    }

    private static void panel(StringBuilder svg, Bench.Results results, List<Bar> bars, int left, String title, int width) {
        int top = 40;
        int plot = 260;
        double max = 0;
        for (Bar b : bars) {
            for (String db : results.dbs()) {
                double v = results.median(db, b.scenario(), b.figure());
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        max = max <= 0 ? 1 : max * 1.15;
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-weight=\"bold\">%s</text>\n", left, title));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
                left, top + plot, left + width, top + plot));
        int dbs = Math.max(1, results.dbs().size());
        double slot = (double) width / bars.size();
        double barWidth = Math.min(30, (slot - 10) / dbs);
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            double x0 = left + i * slot + (slot - barWidth * dbs) / 2;
            for (int d = 0; d < results.dbs().size(); d++) {
                double v = results.median(results.dbs().get(d), b.scenario(), b.figure());
                if (Double.isNaN(v)) {
                    continue;
                }
                double h = v / max * plot;
                double x = x0 + d * barWidth;
                svg.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>", x, top + plot - h, barWidth - 2, h,
                        COLORS[d % 2]));
                svg.append(String.format(Locale.ROOT,
                        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">%s</text>\n",
                        x + barWidth / 2 - 1, top + plot - h - 3, Bench.number(v)));
            }
            List<String> lines = wrap(b.label());
            for (int k = 0; k < lines.size(); k++) {
                svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                        left + i * slot + slot / 2, top + plot + 16 + 14 * k, lines.get(k)));
            }
        }
    }

    private static List<String> wrap(String label) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : label.split(" ")) {
            if (line.length() + word.length() > 14 && !line.isEmpty()) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (!line.isEmpty()) {
                line.append(' ');
            }
            line.append(word);
        }
        lines.add(line.toString());
        return lines;
    }
}
