/*
 * A drag source for the window test: a small GTK window whose button drags
 * the files named on the command line as a text/uri-list, the way a file
 * manager does, so the app's native file drop is exercised for real.
 *
 * Build: gcc -o dragsource scripts/dragsource.c $(pkg-config --cflags --libs gtk+-3.0)
 */
#include <gtk/gtk.h>

static gchar **uris;

static void on_drag_data_get(GtkWidget *widget, GdkDragContext *context, GtkSelectionData *data, guint info,
                             guint time, gpointer user_data) {
	gtk_selection_data_set_uris(data, uris);
}

int main(int argc, char **argv) {
	gtk_init(&argc, &argv);
	uris = g_new0(gchar *, argc);
	for (int i = 1; i < argc; i++) {
		uris[i - 1] = g_filename_to_uri(argv[i], NULL, NULL);
	}
	GtkWidget *window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
	gtk_window_set_title(GTK_WINDOW(window), "doorstep-drag-source");
	gtk_window_set_default_size(GTK_WINDOW(window), 160, 80);
	gtk_window_move(GTK_WINDOW(window), 0, 0);
	GtkWidget *button = gtk_button_new_with_label("files");
	gtk_drag_source_set(button, GDK_BUTTON1_MASK, NULL, 0, GDK_ACTION_COPY);
	gtk_drag_source_add_uri_targets(button);
	g_signal_connect(button, "drag-data-get", G_CALLBACK(on_drag_data_get), NULL);
	gtk_container_add(GTK_CONTAINER(window), button);
	g_signal_connect(window, "destroy", G_CALLBACK(gtk_main_quit), NULL);
	gtk_widget_show_all(window);
	gtk_main();
	return 0;
}
