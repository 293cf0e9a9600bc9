"""Publishing: papermill runs, nbconvert export, the site pages, the executive summary,
the printable document, warm kernels, executors and the batch runner."""
