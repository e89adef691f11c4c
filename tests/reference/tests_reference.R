# Reference values from R for single tests on fixed data.
#
#   Rscript tests_reference.R cases.csv out.tsv
#
# cases.csv has columns case, kind, x, y (one row per observation; NA pads the
# shorter sample of a two-sample case). out.tsv has case, key, value with 17
# significant digits. Kinds:
#   paired    wilcox.test(y, x, paired = TRUE, exact = TRUE, conf.int = TRUE), i.e. y - x
#   unpaired  wilcox.test(x, y, conf.int = TRUE)
#   lm        lm(y ~ x) with confint and summary
#   spearman  cor.test(x, y, method = "spearman")
#   bh        p.adjust(x, method = "BH")

args <- commandArgs(trailingOnly = TRUE)
cases <- read.csv(args[1], stringsAsFactors = FALSE)
rows <- list()
emit <- function(case, values) {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, key = names(values), value = sprintf("%.17g", as.numeric(values)),
    stringsAsFactors = FALSE
  )
}

for (case in unique(cases$case)) {
  part <- cases[cases$case == case, ]
  kind <- part$kind[1]
  x <- part$x
  y <- part$y
  if (kind == "paired") {
    test <- suppressWarnings(wilcox.test(y, x, paired = TRUE, exact = TRUE, conf.int = TRUE))
    plain <- suppressWarnings(wilcox.test(y, x, paired = TRUE, exact = FALSE, correct = FALSE))
    emit(case, c(
      statistic = unname(test$statistic), p = test$p.value, estimate = unname(test$estimate),
      ci_low = test$conf.int[1], ci_high = test$conf.int[2],
      confidence = attr(test$conf.int, "conf.level"),
      abs_z = qnorm(plain$p.value / 2, lower.tail = FALSE)
    ))
  } else if (kind == "unpaired") {
    test <- suppressWarnings(wilcox.test(x[!is.na(x)], y[!is.na(y)], conf.int = TRUE))
    emit(case, c(
      statistic = unname(test$statistic), p = test$p.value, estimate = unname(test$estimate),
      ci_low = test$conf.int[1], ci_high = test$conf.int[2],
      confidence = attr(test$conf.int, "conf.level")
    ))
  } else if (kind == "lm") {
    fit <- lm(y ~ x)
    s <- summary(fit)
    ci <- confint(fit)
    f <- s$fstatistic
    emit(case, c(
      intercept = coef(fit)[[1]], slope = coef(fit)[[2]],
      intercept_low = ci[1, 1], intercept_high = ci[1, 2],
      slope_low = ci[2, 1], slope_high = ci[2, 2],
      intercept_t = s$coefficients[1, 3], slope_t = s$coefficients[2, 3],
      intercept_p = s$coefficients[1, 4], slope_p = s$coefficients[2, 4],
      r_squared = s$r.squared, f = unname(f[["value"]]),
      f_p = pf(f[["value"]], f[["numdf"]], f[["dendf"]], lower.tail = FALSE)
    ))
  } else if (kind == "spearman") {
    test <- suppressWarnings(cor.test(x, y, method = "spearman"))
    # assaypipe's one departure: where AS 89's Edgeworth series falls below 0 (cor.test
    # reports p = 0), the t approximation, cor.test(exact = FALSE)
    if (test$p.value == 0) test <- suppressWarnings(cor.test(x, y, method = "spearman", exact = FALSE))
    emit(case, c(rho = unname(test$estimate), s = unname(test$statistic), p = test$p.value))
  } else if (kind == "bh") {
    q <- p.adjust(x, method = "BH")
    emit(case, setNames(q, paste0("q", seq_along(q))))
  } else {
    stop("unknown kind ", kind)
  }
}

write.table(do.call(rbind, rows), args[2], sep = "\t", quote = FALSE, row.names = FALSE)
