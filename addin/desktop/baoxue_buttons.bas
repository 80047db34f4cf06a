Attribute VB_Name = "baoxue_buttons"
' 控辍保学月报：四个按钮（baoxue，xlwings 0.37.8 经典加载项，BSD 许可）
' 导入方法：Alt+F11 打开 VBA 编辑器 → 文件 → 导入文件 → 选择本文件；工具 → 引用 → 勾选 xlwings。
' 然后在工作表上插入形状，右键“指定宏”，分别指定下面四个宏；工作簿另存为 .xlsm。

Sub BX_Validate()
    ' 校验：写“校验结果”，问题单元格着色并加批注
    RunPython "import baoxue.addin.desktop as bx; bx.validate()"
End Sub

Sub BX_Update()
    ' 更新：补填出生日期/性别、本月送教次数/课时、劝返动员日期，刷新“月报汇总”
    RunPython "import baoxue.addin.desktop as bx; bx.update()"
End Sub

Sub BX_Submit()
    ' 报送：校验无错误后保存，并在工作簿旁“报送”文件夹生成盖戳的报送副本
    RunPython "import baoxue.addin.desktop as bx; bx.submit()"
End Sub

Sub BX_NextMonth()
    ' 生成下月：在工作簿旁生成下月工作簿并打开（本月工作簿不改动）
    RunPython "import baoxue.addin.desktop as bx; bx.next_month()"
End Sub
